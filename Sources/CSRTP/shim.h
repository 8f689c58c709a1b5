#ifndef PARLEY_CSRTP_SHIM_H
#define PARLEY_CSRTP_SHIM_H
#include <srtp2/srtp.h>
static inline int parley_srtp_max_trailer_len(void) { return SRTP_MAX_TRAILER_LEN; }
#endif
