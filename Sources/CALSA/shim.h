#ifndef PARLEY_CALSA_SHIM_H
#define PARLEY_CALSA_SHIM_H
#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>

/// alsa-lib prints its own diagnostics to stderr by default. Parley installs this handler
/// instead: it keeps the last message of the calling thread, so an error can quote it
/// ("Unknown PCM nosuch") and nothing is printed behind the user's back.
/// (A function-local static: Swift emits the inline functions but not file-scope variables.)
static inline char *parley_alsa_message_buffer(void) {
    static __thread char message[256];
    return message;
}

static void parley_alsa_error_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(parley_alsa_message_buffer(), 256, fmt, ap);
    va_end(ap);
}

static inline void parley_alsa_install_error_handler(void) {
    snd_lib_error_set_handler(parley_alsa_error_handler);
}

static inline const char *parley_alsa_last_error(void) { return parley_alsa_message_buffer(); }

static inline void parley_alsa_clear_last_error(void) { parley_alsa_message_buffer()[0] = 0; }

/// The global configuration tree (a variable, not reachable as such from Swift).
static inline snd_config_t *parley_alsa_global_config(void) { return snd_config; }

/// Names the calling thread (for top/perf); prctl is variadic, so Swift needs this wrapper.
static inline void parley_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

#endif
