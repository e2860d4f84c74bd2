/* test-engine-limits.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Engine lifecycle and limits on real loopback sockets: max_connections
 * (503 + Retry-After, then recovery), head size and header count (431),
 * slowloris (408), tunnel idle timeout that spares one-way traffic,
 * back-pressure against a fast sender, drain on stop, restart under load,
 * and file descriptors back to their start after thousands of connections.
 * "Served" is checked with the status page, asked for with a Host that
 * names the proxy (any other gets 421).
 */

#include <string.h>

#include "test-utils.h"

/* GET / of the proxy's own status page, with a Host naming it (421 otherwise). */
static char *
exchange_own_page (guint16 port)
{
  g_autofree char *request = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);

  return gn_test_exchange (port, request);
}

static GnEngineConfig *
config_new (void)
{
  GnEngineConfig *config = gn_engine_config_new ();

  config->port = 0;
  return config;
}

static void
test_max_connections (void)
{
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  GSocketConnection *held[5];
  g_autofree char *reply = NULL;
  g_autofree char *again = NULL;
  GnCounters total;
  g_autoptr(GPtrArray) snapshot = NULL;
  guint16 port;

  config->max_connections = 5;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);

  for (guint i = 0; i < 5; i++)
    held[i] = gn_test_connect ("127.0.0.1", port);
  gn_test_wait_open (engine, 5);

  /* The sixth is answered 503 with Retry-After, and the listener lives on. */
  reply = exchange_own_page (port);
  g_assert_cmpuint (gn_test_status (reply), ==, 503);
  g_assert_nonnull (strstr (reply, "Retry-After: "));

  snapshot = gn_connection_registry_snapshot (gn_engine_get_registry (engine), &total, NULL);
  g_assert_cmpuint (total.rejected, >=, 1);

  /* Room again once one leaves. */
  g_io_stream_close (G_IO_STREAM (held[0]), NULL, NULL);
  g_object_unref (held[0]);
  gn_test_wait_open (engine, 4);
  again = exchange_own_page (port);
  g_assert_cmpuint (gn_test_status (again), ==, 200);

  for (guint i = 1; i < 5; i++)
    g_object_unref (held[i]);
  gn_engine_stop (engine);
}

static void
test_head_limits (void)
{
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *filler = g_strnfill (2000, 'a');
  g_autofree char *big = NULL;
  g_autofree char *many = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *reply2 = NULL;
  g_autofree char *ok = NULL;

  config->max_head_bytes = 1024;
  config->max_headers = 5;
  engine = gn_test_engine_new (config, NULL);

  big = g_strdup_printf ("GET http://example.test/ HTTP/1.1\r\nX-Big: %s\r\n\r\n", filler);
  reply = gn_test_exchange (gn_engine_get_port (engine), big);
  g_assert_cmpuint (gn_test_status (reply), ==, 431);

  many = g_strdup ("GET http://example.test/ HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\n\r\n");
  reply2 = gn_test_exchange (gn_engine_get_port (engine), many);
  g_assert_cmpuint (gn_test_status (reply2), ==, 431);

  /* Within both limits it is served. */
  ok = exchange_own_page (gn_engine_get_port (engine));
  g_assert_cmpuint (gn_test_status (ok), ==, 200);
  gn_engine_stop (engine);
}

static void
test_slowloris (void)
{
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *head = NULL;
  gint64 start;
  gint64 elapsed_ms;

  config->header_timeout_ms = 400;
  engine = gn_test_engine_new (config, NULL);
  conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));

  /* One byte every 50 ms never finishes the head: the timeout counts the
   * whole head, not the gap between bytes. */
  start = g_get_monotonic_time ();
  gn_test_send (conn, "GET http://example.test/ HTTP/1.1\r\n", -1);
  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(GError) error = NULL;

      g_usleep (50 * 1000);
      if (g_socket_send (g_socket_connection_get_socket (conn), "X", 1, NULL, &error) < 0)
        break;
    }
  head = gn_test_read_head (conn);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpuint (gn_test_status (head), ==, 408);
  g_assert_cmpint (elapsed_ms, <, 3000);
  gn_engine_stop (engine);
}

static void
test_tunnel_idle_timeout (void)
{
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  GnTestSink *sink = gn_test_sink_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autoptr(GBytes) rest = NULL;
  gint64 quiet_start;

  config->idle_timeout_s = 1;
  engine = gn_test_engine_new (config, NULL);
  conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_sink_get_port (sink));
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);

  /* Traffic in one direction only, for 2.5 idle periods: the tunnel stays. */
  for (guint i = 0; i < 10; i++)
    {
      gn_test_send (conn, "ping", 4);
      g_usleep (250 * 1000);
    }

  /* Then silence: closed after about one idle period. */
  quiet_start = g_get_monotonic_time ();
  rest = gn_test_read_all (conn, 1024);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
  g_assert_cmpint ((g_get_monotonic_time () - quiet_start) / 1000, >=, 700);
  g_assert_cmpint ((g_get_monotonic_time () - quiet_start) / 1000, <, 4000);
  g_assert_cmpuint (gn_test_sink_free (sink), ==, 40);
  gn_engine_stop (engine);
}

static void
test_backpressure (void)
{
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  GnTestFirehose *hose = gn_test_firehose_new ();
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n",
                                              gn_test_firehose_get_port (hose));
  g_autofree char *head = NULL;
  g_autoptr(GBytes) some = NULL;
  guint64 after_1s, after_2s;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  some = gn_test_read_exact (conn, 65536);

  /* We stop reading. The origin can only fill the kernel buffers on both
   * hops plus the one buffer in flight in the pump: then it must stall. */
  g_usleep (G_USEC_PER_SEC);
  after_1s = gn_test_firehose_get_sent (hose);
  g_usleep (G_USEC_PER_SEC);
  after_2s = gn_test_firehose_get_sent (hose);
  g_test_message ("origin sent %" G_GUINT64_FORMAT " then %" G_GUINT64_FORMAT, after_1s, after_2s);
  g_assert_cmpuint (after_2s, <, 64 * 1024 * 1024);
  g_assert_cmpuint (after_2s - after_1s, <, 1024 * 1024);

  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  gn_engine_stop (engine);
  gn_test_firehose_free (hose);
}

static void
test_drain (void)
{
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GSocketConnection) busy = NULL;
  g_autoptr(GSocketConnection) stuck = NULL;
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autofree char *head2 = NULL;
  g_autoptr(GPtrArray) closing = g_ptr_array_new ();
  GThread *thread;
  gint64 start, ms;

  config->drain_timeout_ms = 5000;
  engine = gn_test_engine_new (config, NULL);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));

  /* A tunnel that ends by itself 300 ms into the drain: stop returns then,
   * not after the whole drain timeout. */
  busy = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  gn_test_send (busy, request, -1);
  head = gn_test_read_head (busy);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  g_ptr_array_add (closing, busy);
  thread = gn_test_close_later (closing, 300);
  start = g_get_monotonic_time ();
  gn_engine_stop (engine);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (thread);
  g_assert_cmpint (ms, >=, 250);
  g_assert_cmpint (ms, <, 2500);

  /* A tunnel that never ends is closed at the drain timeout. */
  gn_engine_config_unref (config);
  config = config_new ();
  config->drain_timeout_ms = 400;
  gn_engine_set_config (engine, config);
  g_assert_true (gn_engine_start (engine, NULL));
  stuck = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  gn_test_send (stuck, request, -1);
  head2 = gn_test_read_head (stuck);
  g_assert_cmpuint (gn_test_status (head2), ==, 200);
  start = g_get_monotonic_time ();
  gn_engine_stop (engine);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (ms, >=, 350);
  g_assert_cmpint (ms, <, 1400);
  /* …and the client sees its tunnel end. */
  g_assert_cmpuint (g_bytes_get_size (gn_test_read_all (stuck, 16)), ==, 0);

  gn_test_origin_free (origin);
}

static void
test_restart_under_load (void)
{
  /* GN_TEST_TUNNELS raises the count for a measurement (mind ulimit -n). */
  const char *env = g_getenv ("GN_TEST_TUNNELS");
  const guint n = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 300;
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *request = NULL;
  g_autoptr(GError) error = NULL;
  guint fds_before;
  guint16 port;
  gint64 start, ms;

  fds_before = gn_test_count_fds_settled ();
  config->drain_timeout_ms = 1000;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);
  /* Restart rebinds the same port. */
  gn_engine_config_unref (config);
  config = config_new ();
  config->drain_timeout_ms = 1000;
  config->port = port;
  gn_engine_set_config (engine, config);

  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));
  for (guint i = 0; i < n; i++)
    {
      GSocketConnection *conn = gn_test_connect ("127.0.0.1", port);
      g_autofree char *head = NULL;

      gn_test_send (conn, request, -1);
      head = gn_test_read_head (conn);
      g_assert_cmpuint (gn_test_status (head), ==, 200);
      g_ptr_array_add (tunnels, conn);
    }
  gn_test_wait_open (engine, n);

  start = g_get_monotonic_time ();
  gn_engine_restart (engine, &error);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_no_error (error);
  g_test_message ("restart with %u open tunnels took %" G_GINT64_FORMAT " ms", n, ms);
  g_assert_cmpint (ms, <, config->drain_timeout_ms + 1000);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);

  /* A client reconnecting right away is served. */
  gn_test_assert_served (port, origin);

  /* The old tunnels were closed. */
  gn_test_assert_closed (tunnels);

  g_ptr_array_set_size (tunnels, 0);
  gn_engine_stop (engine);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

static void
test_no_fd_leaks (void)
{
  guint n = g_test_slow () ? 10000 : 300;
  g_autoptr(GnEngineConfig) config = config_new ();
  g_autoptr(GnEngine) engine = NULL;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autofree char *tunnel = NULL;
  g_autofree char *forward = NULL;
  g_autofree char *refused = NULL;
  g_autoptr(GSocket) refusing = NULL;
  guint fds_before, fds_after;
  guint16 port, refusing_port;
  const char *blocked = "CONNECT ads.blocked.test:443 HTTP/1.1\r\n\r\n";
  const char *malformed = "NOT HTTP AT ALL\r\n\r\n";

  config->header_timeout_ms = 200;
  engine = gn_test_engine_new (config, "blocked.test\n");
  port = gn_engine_get_port (engine);
  tunnel = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n"
                            "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            gn_test_origin_get_port (origin));
  forward = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                             gn_test_origin_get_port (origin));
  refusing = gn_test_refusing_port_new (&refusing_port);
  refused = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", refusing_port);

  /* Warm up every path once, then count. */
  g_free (gn_test_exchange (port, tunnel));
  g_free (gn_test_exchange (port, forward));
  gn_test_wait_open (engine, 0);
  fds_before = gn_test_count_fds_settled ();

  for (guint i = 0; i < n; i++)
    {
      const char *requests[] = { tunnel, forward, blocked, malformed, refused };
      guint expect[] = { 200, 200, 403, 400, 502 };

      for (guint k = 0; k < G_N_ELEMENTS (requests); k++)
        {
          g_autofree char *reply = gn_test_exchange (port, requests[k]);

          g_assert_cmpuint (gn_test_status (reply), ==, expect[k]);
        }
    }

  /* Timed out: many at once, each answered 408 by the header timeout. */
  for (guint batch = 0; batch < MAX (1, n / 500); batch++)
    {
      g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < 100; i++)
        {
          GSocketConnection *conn = gn_test_connect ("127.0.0.1", port);

          gn_test_send (conn, "GET http://x/ HTTP/1.1\r\n", -1);
          g_ptr_array_add (waiting, conn);
        }
      for (guint i = 0; i < waiting->len; i++)
        {
          g_autofree char *head = gn_test_read_head (g_ptr_array_index (waiting, i));

          g_assert_cmpuint (gn_test_status (head), ==, 408);
        }
    }

  gn_test_wait_open (engine, 0);
  fds_after = gn_test_wait_fds (fds_before);
  g_test_message ("%u rounds of 5 kinds + timeouts: fds before %u, after %u", n, fds_before, fds_after);
  g_assert_cmpuint (fds_after, <=, fds_before);

  gn_engine_stop (engine);
  gn_test_origin_free (origin);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/limits/max-connections", test_max_connections);
  g_test_add_func ("/engine/limits/head-size-and-count", test_head_limits);
  g_test_add_func ("/engine/limits/slowloris", test_slowloris);
  g_test_add_func ("/engine/tunnel/idle-timeout", test_tunnel_idle_timeout);
  g_test_add_func ("/engine/tunnel/backpressure", test_backpressure);
  g_test_add_func ("/engine/lifecycle/drain", test_drain);
  g_test_add_func ("/engine/lifecycle/restart-under-load", test_restart_under_load);
  g_test_add_func ("/engine/leaks/fds", test_no_fd_leaks);
  return g_test_run ();
}
