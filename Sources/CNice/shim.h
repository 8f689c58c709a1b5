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

/* GObject's variadic property setters and signal macros, as plain functions Swift can call. */

static inline void parley_nice_set_controlling(NiceAgent *agent, gboolean controlling) {
    g_object_set(G_OBJECT(agent), "controlling-mode", controlling, NULL);
}

static inline void parley_nice_set_stun_server(NiceAgent *agent, const char *ip, guint port) {
    g_object_set(G_OBJECT(agent), "stun-server", ip, "stun-server-port", port, NULL);
}

/* Only IPv4 host candidates and no UPnP: the paths Parley's tests and users need. */
static inline void parley_nice_set_defaults(NiceAgent *agent) {
    g_object_set(G_OBJECT(agent), "upnp", FALSE, "ice-tcp", FALSE, NULL);
}

typedef void (*parley_nice_gathering_done_cb)(NiceAgent *agent, guint stream_id, gpointer data);
typedef void (*parley_nice_state_cb)(NiceAgent *agent, guint stream_id, guint component_id, guint state, gpointer data);
typedef void (*parley_nice_candidate_cb)(NiceAgent *agent, NiceCandidate *candidate, gpointer data);
typedef void (*parley_nice_pair_cb)(NiceAgent *agent, guint stream_id, guint component_id,
                                    NiceCandidate *local, NiceCandidate *remote, gpointer data);

static inline gulong parley_nice_on_gathering_done(NiceAgent *agent, parley_nice_gathering_done_cb cb, gpointer data) {
    return g_signal_connect(G_OBJECT(agent), "candidate-gathering-done", G_CALLBACK(cb), data);
}
static inline gulong parley_nice_on_state(NiceAgent *agent, parley_nice_state_cb cb, gpointer data) {
    return g_signal_connect(G_OBJECT(agent), "component-state-changed", G_CALLBACK(cb), data);
}
static inline gulong parley_nice_on_candidate(NiceAgent *agent, parley_nice_candidate_cb cb, gpointer data) {
    return g_signal_connect(G_OBJECT(agent), "new-candidate-full", G_CALLBACK(cb), data);
}
static inline gulong parley_nice_on_selected_pair(NiceAgent *agent, parley_nice_pair_cb cb, gpointer data) {
    return g_signal_connect(G_OBJECT(agent), "new-selected-pair-full", G_CALLBACK(cb), data);
}
static inline void parley_nice_disconnect(NiceAgent *agent, gpointer data) {
    g_signal_handlers_disconnect_matched(G_OBJECT(agent), G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, data);
}
static inline void parley_g_object_unref(gpointer object) { g_object_unref(object); }

/* Closes the agent (TURN allocations released, refreshes stopped), then drops it. */
static void parley_nice_closed(GObject *source, GAsyncResult *result, gpointer data) {
    (void)result; (void)data;
    g_object_unref(source);
}
static inline void parley_nice_close_and_unref(NiceAgent *agent) {
    nice_agent_close_async(agent, parley_nice_closed, NULL);
}

/* A one-element GSList for nice_agent_set_remote_candidates. */
static inline int parley_nice_add_remote_candidate(NiceAgent *agent, guint stream_id, guint component_id,
                                                   NiceCandidate *candidate) {
    GSList list = { candidate, NULL };
    return nice_agent_set_remote_candidates(agent, stream_id, component_id, &list);
}

/* The GLib loop: run `fn(data)` on `context`'s thread. */
typedef gboolean (*parley_source_fn)(gpointer data);
static inline void parley_g_invoke(GMainContext *context, parley_source_fn fn, gpointer data) {
    g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, fn, data, NULL);
}
#endif
