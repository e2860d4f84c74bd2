/* test-engine-forward.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The plain-HTTP forwarding paths the curl-based tests do not reach, on raw
 * sockets: an Upgrade answered "101 Switching Protocols" becomes a tunnel
 * (bytes sent with the request and after it reach the origin, the
 * origin's bytes after its head reach the client); an interim "103 Early
 * Hints" is passed on before the real answer; two requests pipelined in
 * one write are both answered, in order, on one connection.
 *
 * The raw origin is a thread with a blocking socket: it reads one head,
 * answers as its mode says, and for the upgrade echoes until EOF.
 */

#include <string.h>

#include "test-utils.h"

typedef enum
{
  MODE_UPGRADE,
  MODE_INTERIM,
} Mode;

typedef struct
{
  GSocket *listener;
  guint16  port;
  Mode     mode;
  GThread *thread;
} RawOrigin;

static gpointer
raw_origin_thread (gpointer data)
{
  RawOrigin *o = data;
  g_autoptr(GSocket) conn = g_socket_accept (o->listener, NULL, NULL);
  g_autoptr(GString) head = g_string_new (NULL);
  char buf[4096];
  gssize n;

  g_assert_nonnull (conn);
  g_socket_set_timeout (conn, 10);
  /* One head (what follows it, for the upgrade, is echoed below). */
  while (strstr (head->str, "\r\n\r\n") == NULL &&
         (n = g_socket_receive (conn, buf, 1, NULL, NULL)) > 0)
    g_string_append_len (head, buf, n);
  g_assert_nonnull (strstr (head->str, "\r\n\r\n"));

  if (o->mode == MODE_UPGRADE)
    {
      const char *answer = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                           "Upgrade: echo\r\n\r\nhello from the origin\n";

      g_assert_nonnull (strstr (head->str, "\r\nUpgrade: echo\r\n"));
      g_socket_send (conn, answer, strlen (answer), NULL, NULL);
      while ((n = g_socket_receive (conn, buf, sizeof buf, NULL, NULL)) > 0)
        g_socket_send (conn, buf, n, NULL, NULL);
    }
  else
    {
      const char *answer = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

      g_socket_send (conn, answer, strlen (answer), NULL, NULL);
    }
  g_socket_close (conn, NULL);
  return NULL;
}

static RawOrigin *
raw_origin_new (Mode mode)
{
  RawOrigin *o = g_new0 (RawOrigin, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  o->mode = mode;
  o->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (o->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (o->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (o->listener, &error);
  o->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  o->thread = g_thread_new ("raw-origin", raw_origin_thread, o);
  return o;
}

static void
raw_origin_free (RawOrigin *o)
{
  g_thread_join (o->thread);
  g_socket_close (o->listener, NULL);
  g_object_unref (o->listener);
  g_free (o);
}

static void
test_upgrade (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  RawOrigin *origin = raw_origin_new (MODE_UPGRADE);
  g_autofree char *request = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *head = NULL;
  g_autoptr(GBytes) greeting = NULL;
  g_autoptr(GBytes) echo = NULL;

  /* The first frame rides in the same write as the request. */
  request = g_strdup_printf ("GET http://127.0.0.1:%u/chat HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                             "Connection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst ",
                             origin->port, origin->port);
  conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 101);
  greeting = gn_test_read_exact (conn, strlen ("hello from the origin\n"));
  g_assert_cmpmem (g_bytes_get_data (greeting, NULL), g_bytes_get_size (greeting),
                   "hello from the origin\n", strlen ("hello from the origin\n"));

  /* Both ways, as a tunnel. */
  gn_test_send (conn, "second", -1);
  echo = gn_test_read_exact (conn, strlen ("first second"));
  g_assert_cmpmem (g_bytes_get_data (echo, NULL), g_bytes_get_size (echo), "first second", strlen ("first second"));

  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  raw_origin_free (origin);
  gn_engine_stop (engine);
  g_clear_object (&conn);
  g_clear_object (&engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

static void
test_interim (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  RawOrigin *origin = raw_origin_new (MODE_INTERIM);
  g_autofree char *request = g_strdup_printf ("GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Connection: close\r\n\r\n",
                                              origin->port, origin->port);
  g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);
  const char *final;

  g_assert_cmpuint (gn_test_status (reply), ==, 103);
  final = strstr (reply, "\r\n\r\nHTTP/1.1 200 ");
  g_assert_nonnull (final);
  g_assert_true (g_str_has_suffix (final, "\r\n\r\nok"));

  raw_origin_free (origin);
  gn_engine_stop (engine);
  g_clear_object (&engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

static void
test_pipelined (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  guint16 port = gn_test_origin_get_port (origin);
  g_autofree char *requests =
    g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n"
                     "POST http://127.0.0.1:%u/echo HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Length: 4\r\nContent-Type: text/plain\r\n\r\nbody"
                     "GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
                     port, port, port, port, port, port);
  g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), requests);
  const char *first, *second, *third;

  first = strstr (reply, "hello world");
  g_assert_nonnull (first);
  second = strstr (first, "\r\n\r\nbody");
  g_assert_nonnull (second);
  third = strstr (second, "hello world");
  g_assert_nonnull (third);
  g_assert_true (g_str_has_suffix (reply, "hello world"));
  /* One origin connection for all three (kept alive). */
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, 3);

  gn_engine_stop (engine);
  g_clear_object (&engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* One-time process state (GLib's worker thread) before the fd counts. */
  {
    g_autoptr(GnEngine) warm = gn_test_engine_new (NULL, NULL);
    GnTestOrigin *origin = gn_test_origin_new (FALSE);
    g_autofree char *proxy = gn_test_proxy_url (gn_engine_get_port (warm));
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));

    gn_test_curl (NULL, "-x", proxy, url, NULL);
    gn_engine_stop (warm);
    gn_test_origin_free (origin);
  }

  g_test_add_func ("/engine/forward/upgrade", test_upgrade);
  g_test_add_func ("/engine/forward/interim", test_interim);
  g_test_add_func ("/engine/forward/pipelined", test_pipelined);
  return g_test_run ();
}
