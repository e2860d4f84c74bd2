/* test-utils.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared helpers for the engine tests: a real origin (libsoup SoupServer on
 * 127.0.0.1:0, and [::1]:0 if asked, running on its own thread), a raw TCP
 * origin for half-close checks, a real curl runner that never sees the
 * caller's proxy variables, blocking GIO clients with timeouts, an engine
 * started on port 0 with a blocklist, and an open-fd counter.
 *
 * Threading: call from the test's main thread. The origins run on their own
 * threads, the engine on its own, so blocking client calls here are fine.
 */

#pragma once

#include <gio/gio.h>

#include "gn-engine.h"

G_BEGIN_DECLS

/* ---- the SoupServer origin ----
 * /hello      200 "hello world" (Content-Length)
 * /echo       the request body back, same Content-Type
 * /chunked    "chunk-one,chunk-two,chunk-three" with chunked encoding
 * /port       the client port the origin saw (the proxy's outgoing socket)
 * /big?size=N N bytes of gn_test_pattern() (Content-Length)
 * /count      how many requests the origin served before this one
 */
typedef struct _GnTestOrigin GnTestOrigin;

GnTestOrigin *gn_test_origin_new        (gboolean      ipv6);
void          gn_test_origin_free       (GnTestOrigin *origin);
guint16       gn_test_origin_get_port   (GnTestOrigin *origin);
guint16       gn_test_origin_get_port6  (GnTestOrigin *origin);
guint         gn_test_origin_get_n_requests (GnTestOrigin *origin);
/* The byte at @offset of the /big pattern. */
guint8        gn_test_pattern           (guint64       offset);

/* ---- a raw TCP origin: reads until EOF, answers "got N\n", closes ---- */
typedef struct _GnTestSink GnTestSink;

GnTestSink   *gn_test_sink_new          (void);
guint16       gn_test_sink_get_port     (GnTestSink   *sink);
/* Waits for the served connection to end; returns the bytes received. */
guint64       gn_test_sink_free         (GnTestSink   *sink);

/* ---- a raw TCP origin that sends as fast as it can until the peer goes ---- */
typedef struct _GnTestFirehose GnTestFirehose;

GnTestFirehose *gn_test_firehose_new    (void);
guint16       gn_test_firehose_get_port (GnTestFirehose *hose);
/* Bytes the origin managed to hand to its kernel so far (atomic). */
guint64       gn_test_firehose_get_sent (GnTestFirehose *hose);
void          gn_test_firehose_free     (GnTestFirehose *hose);

/* ---- curl ---- */
/* Runs curl -sS --noproxy '' ARGS… with every *_proxy variable removed.
 * Returns curl's exit status; stdout in @out (nullable). */
int           gn_test_curl              (GBytes      **out,
                                         const char   *first_arg,
                                         ...) G_GNUC_NULL_TERMINATED;
char         *gn_test_proxy_url         (guint16       port);

/* ---- blocking raw clients (10 s timeouts) ---- */
GSocketConnection *gn_test_connect      (const char   *host,
                                         guint16       port);
void          gn_test_send              (GSocketConnection *conn,
                                         const char   *data,
                                         gssize        len);
/* Reads up to and including the blank line; NULL on EOF before it. */
char         *gn_test_read_head         (GSocketConnection *conn);
/* Reads exactly @len bytes. */
GBytes       *gn_test_read_exact        (GSocketConnection *conn,
                                         gsize         len);
/* Reads until EOF (at most @max bytes). */
GBytes       *gn_test_read_all          (GSocketConnection *conn,
                                         gsize         max);
/* Sends @request on a new connection and returns everything until EOF. */
char         *gn_test_exchange          (guint16       port,
                                         const char   *request);
/* The status code of a response head, or 0. */
guint         gn_test_status            (const char   *head);
/* A port nobody listens on (bound, then released): for a server to bind
 * later. Another program may take it meanwhile; for a target that must
 * refuse, use gn_test_refusing_port_new(). */
guint16       gn_test_free_port         (void);
/* A port that refuses connections for as long as the returned socket lives:
 * bound without SO_REUSEADDR and never listening, so no other test can bind
 * it and no outgoing connection gets it as its own ephemeral port (a TCP
 * self-connect would "succeed"). */
GSocket      *gn_test_refusing_port_new (guint16      *port);

/* ---- the engine ---- */
/* A blocklist file "malware.txt" with @contents in a temporary directory;
 * free with gn_test_remove_file(). */
char         *gn_test_write_list        (const char   *contents);
void          gn_test_remove_file       (const char   *path);
/* Started on 127.0.0.1 port 0 (unless @config says otherwise); with
 * $GN_TEST_N_WORKERS workers if @config leaves n_workers at 0. */
GnEngine     *gn_test_engine_new        (GnEngineConfig *config,
                                         const char   *blocklist_contents);
/* Iterates the default context until @func returns TRUE or @timeout_ms. */
gboolean      gn_test_wait_until        (gboolean    (*func) (gpointer data),
                                         gpointer      data,
                                         guint         timeout_ms);
/* Asserts that curl through the proxy on @proxy_port gets @origin's /hello. */
void          gn_test_assert_served     (guint16       proxy_port,
                                         GnTestOrigin *origin);
/* Asserts that each connection in @conns (GSocketConnection) is at its end. */
void          gn_test_assert_closed     (GPtrArray    *conns);
/* Closes every GSocketConnection of @conns on a new thread after
 * @delay_ms; join the returned thread. @conns must outlive it. */
GThread      *gn_test_close_later       (GPtrArray    *conns,
                                         guint         delay_ms);
/* Asserts that the engine's registry counts @n open connections within 10 s. */
void          gn_test_wait_open         (GnEngine     *engine,
                                         guint         n);

/* ---- a private desktop user ---- */
/* Before GLib caches the user directories (first thing in main()): points
 * XDG_CONFIG_HOME, _CACHE_, _STATE_ and _DATA_ into a new temporary folder,
 * the GNOME proxy schema on the key-file GSettings backend there, and
 * forgets any session's bus, backend override or journal path. Returns the
 * folder; gn_test_remove_tree() it at the end. */
char         *gn_test_private_user_dirs (const char   *name);
void          gn_test_remove_tree       (const char   *path);

/* ---- resources ---- */
guint         gn_test_count_fds         (void);
/* The fd count once it has not changed for 100 ms (GLib's own threads may
 * close descriptors a moment after the call that used them). */
guint         gn_test_count_fds_settled (void);
/* Waits up to 3 s for the fd count to be back at (or below) @expected;
 * returns the last count seen. A leak shows as a count above it. */
guint         gn_test_wait_fds          (guint         expected);

G_END_DECLS
