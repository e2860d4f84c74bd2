/* test-engine-guards.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's defences against requests aimed at itself, on raw loopback
 * sockets: CONNECT targets that are this proxy in another spelling
 * (0.0.0.0, [::ffff:127.0.0.1], [::ffff:0.0.0.0], or, listening on every
 * address, one of the machine's own interface addresses) are refused with
 * 400 or 508 before anything is written to ourselves; 200 such CONNECTs
 * pipelined in one write get one answer, never 200 nested connections;
 * malformed chunk sizes get 400; our own pages answer only to a Host
 * header naming us (421 otherwise, against DNS rebinding).
 *
 * Each test checks the process has the file descriptors it had before.
 */

#include <string.h>

#include "test-utils.h"

#define N_PIPELINED 200

/* ---- watching how many connections the engine holds at most ---- */

typedef struct
{
  GnConnectionRegistry *registry;
  gint                  stop;
  guint                 peak;
} Watch;

static gpointer
watch_thread (gpointer data)
{
  Watch *w = data;

  while (!g_atomic_int_get (&w->stop))
    {
      w->peak = MAX (w->peak, gn_connection_registry_get_n_open (w->registry));
      g_usleep (200);
    }
  return NULL;
}

static guint
count_status_lines (const char *reply)
{
  guint n = 0;

  for (const char *p = reply; (p = strstr (p, "HTTP/1.1 ")) != NULL; p++)
    n++;
  return n;
}

/* Sends @request @n times in one write; asserts one answer with a status
 * in @allowed (0-terminated) and at most a handful of connections at any
 * moment. */
static void
assert_refused (GnEngine    *engine,
                const char  *request,
                guint        n,
                const guint *allowed)
{
  g_autoptr(GString) all = g_string_new (NULL);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autofree char *text = NULL;
  Watch w = { gn_engine_get_registry (engine), 0, 0 };
  GThread *thread;
  guint status;
  gboolean ok = FALSE;

  for (guint i = 0; i < n; i++)
    g_string_append (all, request);

  thread = g_thread_new ("watch", watch_thread, &w);
  conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  gn_test_send (conn, all->str, all->len);
  reply = gn_test_read_all (conn, 1024 * 1024);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  /* Whatever it started has had time to show. */
  g_usleep (100 * 1000);
  g_atomic_int_set (&w.stop, TRUE);
  g_thread_join (thread);

  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  status = gn_test_status (text);
  for (const guint *a = allowed; *a != 0; a++)
    ok = ok || status == *a;
  if (!ok)
    g_error ("%s ×%u: answered %u: %.200s", request, n, status, text);
  g_assert_cmpuint (count_status_lines (text), ==, 1);
  g_assert_cmpuint (w.peak, <=, 4);
}

static void
test_self_spellings (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  guint16 port = gn_engine_get_port (engine);
  const char *spellings[] = { "0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:0.0.0.0]",
                              "127.0.0.1", "[::ffff:7f00:1]", "2130706433", "127.1", NULL };
  const guint refused[] = { 400, 508, 0 };

  for (guint i = 0; spellings[i] != NULL; i++)
    {
      g_autofree char *request = g_strdup_printf ("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                                                  spellings[i], port, spellings[i], port);

      g_test_message ("%s", spellings[i]);
      assert_refused (engine, request, 1, refused);
      assert_refused (engine, request, N_PIPELINED, refused);
    }

  gn_engine_stop (engine);
  g_clear_object (&engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* An IPv4 address of one of this machine's interfaces, not loopback: the
 * source address the system picks for a route out (a UDP "connect" sends
 * nothing), or NULL without one. */
static char *
find_interface_address (void)
{
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) test_net = g_inet_address_new_from_string ("192.0.2.1");
  g_autoptr(GSocketAddress) target = g_inet_socket_address_new (test_net, 9);
  g_autoptr(GSocketAddress) local = NULL;
  GInetAddress *address;

  if (probe == NULL || !g_socket_connect (probe, target, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (probe, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local))
    return NULL;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_any (address))
    return NULL;
  return g_inet_address_to_string (address);
}

/* Listening on every address, one of our interface addresses is us too:
 * only the socket actually reached can tell (the name or address alone
 * says "some other host"), so it is checked after connecting. */
static void
test_self_interface (void)
{
  g_autofree char *address = find_interface_address ();
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *request = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *reply = NULL;
  const guint refused[] = { 508, 0 };
  guint fds_before;

  if (address == NULL)
    {
      g_test_skip ("no non-loopback IPv4 interface address");
      return;
    }

  fds_before = gn_test_count_fds_settled ();
  config->port = 0;
  g_free (config->bind_address);
  config->bind_address = g_strdup ("0.0.0.0");
  config->allow_non_loopback = TRUE;
  engine = gn_test_engine_new (config, NULL);

  request = g_strdup_printf ("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                             address, gn_engine_get_port (engine), address, gn_engine_get_port (engine));
  assert_refused (engine, request, 1, refused);
  assert_refused (engine, request, N_PIPELINED, refused);

  /* Plain HTTP to the same address: our own page (it names us), never a
   * request forwarded to ourselves. */
  absolute = g_strdup_printf ("GET http://%s:%u/ HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n\r\n",
                              address, gn_engine_get_port (engine), address, gn_engine_get_port (engine));
  reply = gn_test_exchange (gn_engine_get_port (engine), absolute);
  g_assert_cmpuint (gn_test_status (reply), !=, 0);
  g_assert_cmpuint (count_status_lines (reply), ==, 1);

  gn_engine_stop (engine);
  g_clear_object (&engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* A chunked request body with a bad chunk size gets 400, not a silent
 * close. */
static void
test_bad_chunk_size (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  const char *sizes[] = { "zz", "123456789abcdef012", "-5", NULL };

  for (guint i = 0; sizes[i] != NULL; i++)
    {
      g_autofree char *request =
        g_strdup_printf ("POST http://127.0.0.1:%u/echo HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n%s\r\nhello\r\n0\r\n\r\n",
                         gn_test_origin_get_port (origin), gn_test_origin_get_port (origin), sizes[i]);
      g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);

      g_test_message ("chunk size %s: %.60s", sizes[i], reply);
      g_assert_cmpuint (gn_test_status (reply), ==, 400);
    }

  /* A good one still goes through. */
  {
    g_autofree char *request =
      g_strdup_printf ("POST http://127.0.0.1:%u/echo HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                       "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                       gn_test_origin_get_port (origin), gn_test_origin_get_port (origin));
    g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);

    g_assert_cmpuint (gn_test_status (reply), ==, 200);
    g_assert_true (g_str_has_suffix (reply, "hello"));
  }

  gn_engine_stop (engine);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* The status page and /proxy.pac answer only to a Host that names us. */
static void
test_own_pages_host (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  guint16 port = gn_engine_get_port (engine);
  const char *ours[] = { "127.0.0.1", "localhost", "LOCALHOST", "[::1]", NULL };
  /* With our port unless it has one. */
  const char *foreign[] = { "evil.example", "evil.example:80", "127.0.0.1:80", "127.0.0.1:1",
                            "localhost.evil.example", "", NULL };
  const char *paths[] = { "/", "/proxy.pac", NULL };

  for (guint p = 0; paths[p] != NULL; p++)
    {
      for (guint i = 0; ours[i] != NULL; i++)
        {
          g_autofree char *host = g_strdup_printf ("%s:%u", ours[i], port);
          g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", paths[p], host);
          g_autofree char *reply = gn_test_exchange (port, request);

          g_test_message ("%s %s: %u", paths[p], host, gn_test_status (reply));
          g_assert_cmpuint (gn_test_status (reply), ==, 200);
        }
      for (guint i = 0; foreign[i] != NULL; i++)
        {
          g_autofree char *host = strchr (foreign[i], ':') != NULL || foreign[i][0] == '\0'
                                  ? g_strdup (foreign[i]) : g_strdup_printf ("%s:%u", foreign[i], port);
          g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", paths[p], host);
          g_autofree char *reply = gn_test_exchange (port, request);

          g_test_message ("%s %s: %u", paths[p], host, gn_test_status (reply));
          g_assert_cmpuint (gn_test_status (reply), ==, 421);
        }
      /* No Host at all (HTTP/1.0). */
      {
        g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.0\r\n\r\n", paths[p]);
        g_autofree char *reply = gn_test_exchange (port, request);

        g_assert_cmpuint (gn_test_status (reply), ==, 421);
      }
    }

  gn_engine_stop (engine);
  g_clear_object (&engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* One-time process state (GLib's worker thread) before the fd counts. */
  {
    g_autoptr(GnEngine) warm = gn_test_engine_new (NULL, NULL);

    g_free (gn_test_exchange (gn_engine_get_port (warm), "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n"));
    gn_engine_stop (warm);
  }

  g_test_add_func ("/engine/guards/self-loop/spellings", test_self_spellings);
  g_test_add_func ("/engine/guards/self-loop/interface", test_self_interface);
  g_test_add_func ("/engine/guards/bad-chunk-size", test_bad_chunk_size);
  g_test_add_func ("/engine/guards/own-pages-host", test_own_pages_host);
  return g_test_run ();
}
