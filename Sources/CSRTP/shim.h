#ifndef PARLEY_CSRTP_SHIM_H
#define PARLEY_CSRTP_SHIM_H
#include <srtp2/srtp.h>
static inline int parley_srtp_max_trailer_len(void) { return SRTP_MAX_TRAILER_LEN; }
/* Bytes srtp_protect_rtcp may write after the packet (srtp.h: SRTP_MAX_TRAILER_LEN+4). */
static inline int parley_srtp_max_rtcp_trailer_len(void) { return SRTP_MAX_TRAILER_LEN + 4; }
#endif
