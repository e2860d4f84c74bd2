/* test-engine-cut.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Live connections to a host the rules start blocking are cut: when
 * gn_engine_set_blocklist() swaps in rules that block the target of an
 * open CONNECT tunnel or of a kept-alive plain-HTTP connection (the host
 * itself or a parent domain of it), the client's socket sees its end
 * within 1 s and the registry shows the connection closed with the reason
 * "Closed: now blocked". Tunnels to other hosts, and to hosts an allow
 * rule keeps, stay open and keep working. Two tests go through GnSession:
 * a user rule added with gn_blocklist_manager_add_user_rule() cuts a
 * tunnel, and so does the end of a pause (GnTimedRules, injected clock).
 *
 * Targets are names under ".localhost", which GLib's resolver answers with
 * loopback itself (RFC 6761), so the real origin connector reaches the
 * test's SoupServer origin on 127.0.0.1 by a name a rule can list.
 *
 * Threading: the test's main thread; the engine and the origin run on
 * their own threads, so the blocking client calls here are fine.
 */

#include <string.h>

#include "gn-session.h"
#include "gn-timed-rules.h"
#include "test-utils.h"

#define CUT_REASON "Closed: now blocked"

static char *tmp_root;

/* CONNECT @host:@origin_port, then one keep-alive GET /hello through it. */
static GSocketConnection *
open_tunnel (guint16     proxy_port,
             const char *host,
             guint16     origin_port)
{
  GSocketConnection *conn = gn_test_connect ("127.0.0.1", proxy_port);
  g_autofree char *request = g_strdup_printf ("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                                              host, origin_port, host, origin_port);
  g_autofree char *head = NULL;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_nonnull (head);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  return conn;
}

/* One GET /hello on @conn: through a tunnel (@absolute FALSE) or as a
 * plain-HTTP proxy request to @host (@absolute TRUE); keeps it alive. */
static void
assert_hello (GSocketConnection *conn,
              const char        *host,
              guint16            origin_port,
              gboolean           absolute)
{
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autoptr(GBytes) body = NULL;

  if (absolute)
    request = g_strdup_printf ("GET http://%s:%u/hello HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                               host, origin_port, host, origin_port);
  else
    request = g_strdup_printf ("GET /hello HTTP/1.1\r\nHost: %s:%u\r\n\r\n", host, origin_port);
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_nonnull (head);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  body = gn_test_read_exact (conn, strlen ("hello world"));
  g_assert_nonnull (body);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "hello world", 11);
}

/* An engine on port 0 with @contents as its rules; tunnels the test leaves
 * open end at once when it is freed (the origin keeps its side alive). */
static GnEngine *
engine_new (const char *contents)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();

  config->port = 0;
  config->drain_timeout_ms = 100;
  return gn_test_engine_new (config, contents);
}

static GnBlocklist *
rules_new (const char *contents)
{
  g_autofree char *path = gn_test_write_list (contents);
  const char *paths[] = { path, NULL };
  g_autoptr(GError) error = NULL;
  GnBlocklist *blocklist = gn_blocklist_new_from_files (paths, &error);

  g_assert_no_error (error);
  gn_test_remove_file (path);
  return blocklist;
}

/* Asserts that the peer closed @conn within @max_ms of @since (monotonic):
 * a read returns end of file (or a reset), never data. */
static void
assert_cut_within (GSocketConnection *conn,
                   gint64             since,
                   guint              max_ms)
{
  GSocket *socket = g_socket_connection_get_socket (conn);
  gint64 deadline = since + (gint64) max_ms * 1000;
  gint64 left = deadline - g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  char byte;
  gssize n;

  g_assert_true (g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                                MAX (left, 0), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time (), <=, deadline);
  n = g_socket_receive_with_blocking (socket, &byte, 1, FALSE, NULL, &error);
  if (n < 0)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  else
    g_assert_cmpint (n, ==, 0);
}

/* Asserts that nothing arrives on @conn, and it does not end, for @ms. */
static void
assert_still_open (GSocketConnection *conn,
                   guint              ms)
{
  GSocket *socket = g_socket_connection_get_socket (conn);
  g_autoptr(GError) error = NULL;

  g_assert_false (g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                                 (gint64) ms * 1000, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

typedef struct
{
  GnConnectionRegistry *registry;
  const char           *host;
  GnConnectionInfo     *found;  /* (owned) (nullable) */
} RecordWait;

static gboolean
closed_now_blocked (gpointer data)
{
  RecordWait *w = data;
  g_autoptr(GPtrArray) infos = gn_connection_registry_snapshot (w->registry, NULL, NULL);

  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (g_strcmp0 (info->host, w->host) == 0 && info->state == GN_CONNECTION_STATE_CLOSED &&
          g_strcmp0 (info->reason, CUT_REASON) == 0)
        {
          w->found = gn_connection_info_ref (info);
          return TRUE;
        }
    }
  return FALSE;
}

/* Asserts that the registry shows a connection to @host closed as now
 * blocked, by @rule. */
static void
assert_recorded_cut (GnEngine   *engine,
                     const char *host,
                     const char *rule)
{
  RecordWait w = { gn_engine_get_registry (engine), host, NULL };

  g_assert_true (gn_test_wait_until (closed_now_blocked, &w, 5000));
  g_assert_nonnull (w.found->list_name);
  g_assert_nonnull (strstr (w.found->rule, rule));
  /* Still a tunnel or an exchange that was cut, not a refused request. */
  g_assert_cmpint (w.found->kind, !=, GN_CONNECTION_KIND_BLOCKED);
  gn_connection_info_unref (w.found);
}

/* A tunnel to a newly listed domain, and one to a subdomain of it, end
 * within 1 s; one to another host stays open and keeps working. */
static void
test_tunnel (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new ("unrelated.example\n");
  guint16 port = gn_engine_get_port (engine);
  g_autoptr(GSocketConnection) listed = open_tunnel (port, "cut.localhost", origin_port);
  g_autoptr(GSocketConnection) sub = open_tunnel (port, "a.b.cut.localhost", origin_port);
  g_autoptr(GSocketConnection) other = open_tunnel (port, "other.localhost", origin_port);
  g_autoptr(GnBlocklist) rules = rules_new ("unrelated.example\ncut.localhost\n");
  gint64 since;

  assert_hello (listed, "cut.localhost", origin_port, FALSE);
  assert_hello (sub, "a.b.cut.localhost", origin_port, FALSE);
  assert_hello (other, "other.localhost", origin_port, FALSE);

  since = g_get_monotonic_time ();
  gn_engine_set_blocklist (engine, rules);
  assert_cut_within (listed, since, 1000);
  assert_cut_within (sub, since, 1000);
  assert_recorded_cut (engine, "cut.localhost", "cut.localhost");
  assert_recorded_cut (engine, "a.b.cut.localhost", "cut.localhost");

  /* The other tunnel was not touched. */
  assert_still_open (other, 200);
  assert_hello (other, "other.localhost", origin_port, FALSE);

  /* And a new tunnel to the listed domain is refused now. */
  {
    g_autofree char *answer = gn_test_exchange (port, "CONNECT cut.localhost:443 HTTP/1.1\r\n"
                                                      "Host: cut.localhost:443\r\n\r\n");
    g_assert_cmpuint (gn_test_status (answer), ==, 403);
  }

  g_clear_object (&other);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
}

/* An IP literal rule cuts a tunnel opened to that address. */
static void
test_ip_literal (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new (NULL);
  guint16 port = gn_engine_get_port (engine);
  g_autoptr(GSocketConnection) tunnel = open_tunnel (port, "127.0.0.1", origin_port);
  g_autoptr(GSocketConnection) named = open_tunnel (port, "named.localhost", origin_port);
  g_autoptr(GnBlocklist) rules = rules_new ("127.0.0.1\n");
  gint64 since;

  assert_hello (tunnel, "127.0.0.1", origin_port, FALSE);
  since = g_get_monotonic_time ();
  gn_engine_set_blocklist (engine, rules);
  assert_cut_within (tunnel, since, 1000);
  assert_recorded_cut (engine, "127.0.0.1", "127.0.0.1");
  /* The rule names the address, not what a name resolves to. */
  assert_hello (named, "named.localhost", origin_port, FALSE);

  g_clear_object (&named);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
}

/* An allow rule for a subdomain keeps its tunnel open under a new block
 * of the parent domain. */
static void
test_allow_keeps (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new (NULL);
  guint16 port = gn_engine_get_port (engine);
  g_autoptr(GSocketConnection) kept = open_tunnel (port, "ok.cut.localhost", origin_port);
  g_autoptr(GSocketConnection) cut = open_tunnel (port, "ads.cut.localhost", origin_port);
  g_autoptr(GnBlocklist) rules = rules_new ("||cut.localhost^\n@@||ok.cut.localhost^\n");
  gint64 since;

  since = g_get_monotonic_time ();
  gn_engine_set_blocklist (engine, rules);
  assert_cut_within (cut, since, 1000);
  assert_still_open (kept, 200);
  assert_hello (kept, "ok.cut.localhost", origin_port, FALSE);

  g_clear_object (&kept);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
}

/* A kept-alive plain-HTTP connection whose last request went to a host
 * now listed ends, kept origin and client alike; one whose last request
 * went elsewhere stays, and its next request to the listed host gets 403. */
static void
test_keep_alive (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new (NULL);
  guint16 port = gn_engine_get_port (engine);
  g_autoptr(GSocketConnection) listed = gn_test_connect ("127.0.0.1", port);
  g_autoptr(GSocketConnection) other = gn_test_connect ("127.0.0.1", port);
  g_autoptr(GnBlocklist) rules = rules_new ("cut.localhost\n");
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  guint served;
  gint64 since;

  assert_hello (listed, "www.cut.localhost", origin_port, TRUE);
  assert_hello (other, "other.localhost", origin_port, TRUE);
  served = gn_test_origin_get_n_requests (origin);

  since = g_get_monotonic_time ();
  gn_engine_set_blocklist (engine, rules);
  assert_cut_within (listed, since, 1000);
  assert_recorded_cut (engine, "www.cut.localhost", "cut.localhost");

  assert_still_open (other, 200);
  request = g_strdup_printf ("GET http://www.cut.localhost:%u/hello HTTP/1.1\r\n"
                             "Host: www.cut.localhost:%u\r\n\r\n", origin_port, origin_port);
  gn_test_send (other, request, -1);
  head = gn_test_read_head (other);
  g_assert_cmpuint (gn_test_status (head), ==, 403);
  /* Nothing more reached the origin. */
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, served);

  g_clear_object (&other);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
}

/* The same swap many times while nothing is blocked: no connection is
 * touched, none is cut. */
static void
test_unrelated_swaps (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new (NULL);
  guint16 port = gn_engine_get_port (engine);
  g_autoptr(GSocketConnection) tunnel = open_tunnel (port, "stay.localhost", origin_port);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *contents = g_strdup_printf ("rule%u.example\n", i);
      g_autoptr(GnBlocklist) rules = rules_new (contents);

      gn_engine_set_blocklist (engine, rules);
    }
  assert_still_open (tunnel, 200);
  assert_hello (tunnel, "stay.localhost", origin_port, FALSE);

  g_clear_object (&tunnel);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
}

static gboolean
is_on (gpointer data)
{
  return gn_protection_get_state (data) == GN_PROTECTION_ON;
}

/* The user's path: a block rule added in the app core cuts a live tunnel
 * to that domain within 1 s. */
static void
test_session_user_rule (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnSession) session = gn_session_new (GN_SESSION_FLAGS_NONE, NULL);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) tunnel = NULL;
  g_autoptr(GSocketConnection) other = NULL;
  GnProtection *protection;
  GnEngine *engine;
  const char *workers = g_getenv ("GN_TEST_N_WORKERS");
  gint64 since;

  config->port = 0;
  config->drain_timeout_ms = 100;
  if (workers != NULL)
    config->n_workers = (guint) g_ascii_strtoull (workers, NULL, 10);
  g_assert_true (gn_session_set_config (session, config, FALSE, &error));
  g_assert_true (gn_session_start_up (session, NULL, &error));
  g_assert_no_error (error);
  protection = gn_session_get_protection (session);
  engine = gn_session_get_engine (session);
  gn_protection_set_enabled (protection, TRUE);
  g_assert_true (gn_test_wait_until (is_on, protection, 5000));

  tunnel = open_tunnel (gn_engine_get_port (engine), "tracker.localhost", origin_port);
  other = open_tunnel (gn_engine_get_port (engine), "fine.localhost", origin_port);
  assert_hello (tunnel, "tracker.localhost", origin_port, FALSE);

  since = g_get_monotonic_time ();
  g_assert_true (gn_blocklist_manager_add_user_rule (gn_session_get_blocklists (session),
                                                     GN_MATCH_BLOCK, "tracker.localhost", &error));
  g_assert_no_error (error);
  /* The rebuild may finish on the main loop: let it run while waiting. */
  {
    GSocket *socket = g_socket_connection_get_socket (tunnel);

    while (g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0 &&
           g_get_monotonic_time () < since + G_USEC_PER_SEC)
      g_main_context_iteration (NULL, FALSE);
  }
  assert_cut_within (tunnel, since, 1000);
  assert_recorded_cut (engine, "tracker.localhost", "tracker.localhost");
  assert_hello (other, "fine.localhost", origin_port, FALSE);

  g_clear_object (&other);
  g_assert_true (gn_session_shut_down (session));
  g_clear_object (&session);
  gn_test_origin_free (origin);
}

typedef struct
{
  GnEngine    *engine;
  const char  *host;
  GnMatchKind  kind;
} LookupWait;

static gboolean
lookup_is (gpointer data)
{
  LookupWait *w = data;
  g_autoptr(GnBlocklist) rules = gn_engine_dup_blocklist (w->engine);
  GnMatch match;

  return gn_blocklist_lookup (rules, w->host, &match) == w->kind;
}

/* Rules are rebuilt off the main thread: waits until the engine has them. */
static void
wait_lookup (GnEngine    *engine,
             const char  *host,
             GnMatchKind  kind)
{
  LookupWait w = { engine, host, kind };

  g_assert_true (gn_test_wait_until (lookup_is, &w, 5000));
}

typedef struct
{
  guint16     proxy_port;
  const char *host;
  guint16     origin_port;
} ServedWait;

static gboolean
is_served (gpointer data)
{
  ServedWait *w = data;
  g_autofree char *request = g_strdup_printf ("GET http://%s:%u/hello HTTP/1.1\r\nHost: %s:%u\r\n"
                                              "Connection: close\r\n\r\n",
                                              w->host, w->origin_port, w->host, w->origin_port);
  g_autofree char *answer = gn_test_exchange (w->proxy_port, request);

  return gn_test_status (answer) == 200;
}

/* The engine thread takes new rules a moment after gn_engine_dup_blocklist()
 * returns them: waits until a request to @host is served. */
static void
wait_served (guint16     proxy_port,
             const char *host,
             guint16     origin_port)
{
  ServedWait w = { proxy_port, host, origin_port };

  g_assert_true (gn_test_wait_until (is_served, &w, 5000));
}

static gint64
fake_clock (gpointer data)
{
  return *(gint64 *) data;
}

/* The end of a pause: a tunnel opened to a listed domain while nothing
 * was blocked is cut when blocking resumes. */
static void
test_session_pause_ends (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autofree char *list = gn_test_write_list ("paused.localhost\n");
  const char *lists[] = { list, NULL };
  g_autoptr(GnSession) session = gn_session_new (GN_SESSION_FLAGS_NONE, NULL);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) tunnel = NULL;
  const char *workers = g_getenv ("GN_TEST_N_WORKERS");
  GnProtection *protection;
  GnTimedRules *timed;
  GnEngine *engine;
  gint64 t = g_get_real_time ();
  gint64 since;

  config->port = 0;
  config->drain_timeout_ms = 100;
  if (workers != NULL)
    config->n_workers = (guint) g_ascii_strtoull (workers, NULL, 10);
  g_assert_true (gn_session_set_config (session, config, FALSE, &error));
  g_assert_true (gn_session_start_up (session, lists, &error));
  g_assert_no_error (error);
  protection = gn_session_get_protection (session);
  engine = gn_session_get_engine (session);
  timed = gn_session_get_timed_rules (session);
  gn_timed_rules_set_clock (timed, fake_clock, &t);
  gn_protection_set_enabled (protection, TRUE);
  g_assert_true (gn_test_wait_until (is_on, protection, 5000));

  wait_lookup (engine, "paused.localhost", GN_MATCH_BLOCK);
  g_assert_true (gn_timed_rules_pause (timed, 5, &error));
  g_assert_no_error (error);
  wait_lookup (engine, "paused.localhost", GN_MATCH_NONE);
  wait_served (gn_engine_get_port (engine), "paused.localhost", origin_port);
  tunnel = open_tunnel (gn_engine_get_port (engine), "paused.localhost", origin_port);
  assert_hello (tunnel, "paused.localhost", origin_port, FALSE);

  t += 6 * 60 * G_USEC_PER_SEC;
  since = g_get_monotonic_time ();
  gn_timed_rules_check (timed);
  assert_cut_within (tunnel, since, 1000);
  assert_recorded_cut (engine, "paused.localhost", "paused.localhost");

  g_assert_true (gn_session_shut_down (session));
  g_clear_object (&session);
  gn_test_origin_free (origin);
  gn_test_remove_file (list);
}

int
main (int argc, char **argv)
{
  int ret;

  /* Before GLib caches the user directories (the session saves there). */
  tmp_root = gn_test_private_user_dirs ("engine-cut");

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cut/tunnel", test_tunnel);
  g_test_add_func ("/cut/ip-literal", test_ip_literal);
  g_test_add_func ("/cut/allow-keeps", test_allow_keeps);
  g_test_add_func ("/cut/keep-alive", test_keep_alive);
  g_test_add_func ("/cut/unrelated-swaps", test_unrelated_swaps);
  g_test_add_func ("/cut/session-user-rule", test_session_user_rule);
  g_test_add_func ("/cut/session-pause-ends", test_session_pause_ends);
  ret = g_test_run ();
  gn_test_remove_tree (tmp_root);
  g_free (tmp_root);
  return ret;
}
