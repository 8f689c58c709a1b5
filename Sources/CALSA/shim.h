#ifndef PARLEY_CALSA_SHIM_H
#define PARLEY_CALSA_SHIM_H
#include <alsa/asoundlib.h>
#endif
