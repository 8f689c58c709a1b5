#ifndef PARLEY_CNICE_SHIM_H
#define PARLEY_CNICE_SHIM_H
#include <nice/agent.h>
#include <nice/nice-version.h>
#include <nice/address.h>
#include <glib.h>
#include <gio/gio.h>
static inline unsigned int parley_nice_version_major(void) { return NICE_VERSION_MAJOR; }
static inline unsigned int parley_nice_version_minor(void) { return NICE_VERSION_MINOR; }
static inline unsigned int parley_nice_version_micro(void) { return NICE_VERSION_MICRO; }
#endif
