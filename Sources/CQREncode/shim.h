#ifndef PARLEY_CQRENCODE_SHIM_H
#define PARLEY_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
