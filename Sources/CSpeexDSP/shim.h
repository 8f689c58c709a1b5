#ifndef PARLEY_CSPEEXDSP_SHIM_H
#define PARLEY_CSPEEXDSP_SHIM_H
#include <speex/speex_resampler.h>
#include <speex/speex_preprocess.h>
#include <speex/speex_echo.h>

/* speex_echo_ctl and speex_preprocess_ctl take an untyped `void *` whose type depends
   on the request. One wrapper per request used from Swift, with the argument type the
   library reads (spx_int32_t for most, float for the AGC level, the echo state for
   SET_ECHO_STATE), so Swift cannot pass the wrong one. Each returns the ctl's status
   (0 on success, -1 for an unknown request). */

static inline int parley_speex_echo_set_sampling_rate(SpeexEchoState *st, spx_int32_t rate) {
    return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
}
static inline int parley_speex_echo_get_sampling_rate(SpeexEchoState *st, spx_int32_t *rate) {
    return speex_echo_ctl(st, SPEEX_ECHO_GET_SAMPLING_RATE, rate);
}
static inline int parley_speex_echo_get_frame_size(SpeexEchoState *st, spx_int32_t *size) {
    return speex_echo_ctl(st, SPEEX_ECHO_GET_FRAME_SIZE, size);
}

static inline int parley_speex_preprocess_set_denoise(SpeexPreprocessState *st, spx_int32_t on) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
}
static inline int parley_speex_preprocess_set_noise_suppress(SpeexPreprocessState *st, spx_int32_t db) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &db);
}
static inline int parley_speex_preprocess_set_agc(SpeexPreprocessState *st, spx_int32_t on) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &on);
}
static inline int parley_speex_preprocess_set_agc_level(SpeexPreprocessState *st, float level) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
}
static inline int parley_speex_preprocess_set_agc_max_gain(SpeexPreprocessState *st, spx_int32_t db) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, &db);
}
static inline int parley_speex_preprocess_set_agc_increment(SpeexPreprocessState *st, spx_int32_t db_per_second) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_INCREMENT, &db_per_second);
}
static inline int parley_speex_preprocess_set_agc_decrement(SpeexPreprocessState *st, spx_int32_t db_per_second) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_DECREMENT, &db_per_second);
}
static inline int parley_speex_preprocess_get_agc_gain(SpeexPreprocessState *st, spx_int32_t *db) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_GET_AGC_GAIN, db);
}
static inline int parley_speex_preprocess_get_prob(SpeexPreprocessState *st, spx_int32_t *percent) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_GET_PROB, percent);
}
static inline int parley_speex_preprocess_set_echo_state(SpeexPreprocessState *st, SpeexEchoState *echo) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
}
static inline int parley_speex_preprocess_set_echo_suppress(SpeexPreprocessState *st, spx_int32_t db) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &db);
}
static inline int parley_speex_preprocess_set_echo_suppress_active(SpeexPreprocessState *st, spx_int32_t db) {
    return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &db);
}
#endif
