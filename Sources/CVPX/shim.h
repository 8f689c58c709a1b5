#ifndef PARLEY_CVPX_SHIM_H
#define PARLEY_CVPX_SHIM_H
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

/* vpx_codec_enc_init / vpx_codec_dec_init are macros that add the ABI version. */
static inline vpx_codec_err_t parley_vpx_enc_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                  const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init(ctx, iface, cfg, flags);
}
static inline vpx_codec_err_t parley_vpx_dec_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                  const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init(ctx, iface, cfg, flags);
}
/* vpx_codec_control pastes the control id into a function name: one shim per control,
   each with the argument type that control takes. */
static inline vpx_codec_err_t parley_vpx_set_cpuused(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_CPUUSED, v); }
static inline vpx_codec_err_t parley_vpx_set_static_threshold(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, v); }
static inline vpx_codec_err_t parley_vpx_set_noise_sensitivity(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, v); }
static inline vpx_codec_err_t parley_vpx_set_token_partitions(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, (vp8e_token_partitions)v); }
static inline vpx_codec_err_t parley_vpx_set_max_intra_bitrate_pct(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, v); }
static inline vpx_codec_err_t parley_vp9_set_row_mt(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP9E_SET_ROW_MT, v); }
static inline vpx_codec_err_t parley_vp9_set_tile_columns(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP9E_SET_TILE_COLUMNS, v); }
static inline vpx_codec_err_t parley_vp9_set_aq_mode(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP9E_SET_AQ_MODE, v); }
static inline vpx_codec_err_t parley_vp9_set_frame_parallel_decoding(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP9E_SET_FRAME_PARALLEL_DECODING, v); }
static inline vpx_codec_err_t parley_vpx_get_frame_corrupted(vpx_codec_ctx_t *ctx, int *corrupted) { return vpx_codec_control(ctx, VP8D_GET_FRAME_CORRUPTED, corrupted); }

static inline vpx_codec_iface_t *parley_vpx_vp8_cx(void) { return vpx_codec_vp8_cx(); }
static inline vpx_codec_iface_t *parley_vpx_vp9_cx(void) { return vpx_codec_vp9_cx(); }
static inline vpx_codec_iface_t *parley_vpx_vp8_dx(void) { return vpx_codec_vp8_dx(); }
static inline vpx_codec_iface_t *parley_vpx_vp9_dx(void) { return vpx_codec_vp9_dx(); }

static inline const long parley_vpx_dl_realtime(void) { return VPX_DL_REALTIME; }
static inline const long parley_vpx_eflag_force_kf(void) { return VPX_EFLAG_FORCE_KF; }
static inline const unsigned int parley_vpx_frame_is_key(void) { return VPX_FRAME_IS_KEY; }
#endif
