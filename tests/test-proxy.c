/* test-proxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy end to end on loopback: a real origin (SoupServer), the real
 * engine on its thread, real clients (curl -x / curl -p -x and raw GIO
 * sockets). Every fixture checks on teardown that the process has exactly
 * the file descriptors it had before the test.
 */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-utils.h"

typedef struct
{
  guint         fds_before;
  GnTestOrigin *origin;
  GnEngine     *engine;
  guint16       port;      /* the proxy */
  char         *proxy;     /* http://127.0.0.1:port */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->fds_before = gn_test_count_fds_settled ();
  f->origin = gn_test_origin_new (TRUE);
  f->engine = gn_test_engine_new (NULL, "# test list\nblocked.test\n");
  f->port = gn_engine_get_port (f->engine);
  f->proxy = gn_test_proxy_url (f->port);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gn_engine_stop (f->engine);
  g_assert_cmpint (gn_engine_get_status (f->engine), ==, GN_ENGINE_STATUS_STOPPED);
  g_clear_object (&f->engine);
  gn_test_origin_free (f->origin);
  g_free (f->proxy);
  g_assert_cmpuint (gn_test_wait_fds (f->fds_before), <=, f->fds_before);
}

static char *
origin_url (Fixture    *f,
            const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", gn_test_origin_get_port (f->origin), path);
}

static char *
bytes_to_string (GBytes *bytes)
{
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
test_http_get (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *url = origin_url (f, "/hello");
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, url, NULL), ==, 0);
  text = bytes_to_string (out);
  g_assert_cmpstr (text, ==, "hello world");
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 1);
}

static void
test_http_post (Fixture       *f,
                gconstpointer  data)
{
  /* 3 MB: curl sends "Expect: 100-continue", which we answer. */
  gsize len = 3 * 1024 * 1024;
  g_autofree guint8 *body = g_malloc (len);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *arg = NULL;
  g_autofree char *url = origin_url (f, "/echo");
  g_autoptr(GBytes) out = NULL;
  int fd;

  for (gsize i = 0; i < len; i++)
    body[i] = gn_test_pattern (i);
  fd = g_file_open_tmp ("gn-post-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, (char *) body, len, &error);
  g_assert_no_error (error);
  arg = g_strconcat ("@", path, NULL);

  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, "--data-binary", arg, url, NULL), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (out), ==, len);
  g_assert_true (memcmp (g_bytes_get_data (out, NULL), body, len) == 0);

  /* And a small one with Content-Length and no Expect. */
  g_clear_pointer (&out, g_bytes_unref);
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, "--data-binary", "small body", url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "small body", 10);
  g_unlink (path);
}

static void
test_http_chunked (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", f->port);
  g_autofree char *request = g_strdup_printf ("GET http://127.0.0.1:%u/chunked HTTP/1.1\r\n"
                                              "Host: 127.0.0.1\r\n\r\n",
                                              gn_test_origin_get_port (f->origin));
  g_autofree char *head = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = origin_url (f, "/chunked");
  g_autoptr(GBytes) out = NULL;
  const char *expected = "b\r\nchunk-one,\r\n";

  /* On the wire: chunked framing passed on, body intact. */
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  g_assert_nonnull (strstr (head, "Transfer-Encoding: chunked\r\n"));
  g_assert_null (strstr (head, "Content-Length"));
  (void) expected;
  body = gn_test_read_exact (conn, strlen ("a\r\nchunk-one,\r\na\r\nchunk-two,\r\nb\r\nchunk-three\r\n0\r\n\r\n"));
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   "a\r\nchunk-one,\r\na\r\nchunk-two,\r\nb\r\nchunk-three\r\n0\r\n\r\n",
                   strlen ("a\r\nchunk-one,\r\na\r\nchunk-two,\r\nb\r\nchunk-three\r\n0\r\n\r\n"));

  /* curl decodes it. */
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                   "chunk-one,chunk-two,chunk-three", 31);
}

/* Reads one Content-Length response and returns its body. */
static char *
read_response (GSocketConnection *conn,
               guint             *status)
{
  g_autofree char *head = gn_test_read_head (conn);
  const char *cl;
  g_autoptr(GBytes) body = NULL;

  g_assert_nonnull (head);
  *status = gn_test_status (head);
  cl = strstr (head, "Content-Length: ");
  g_assert_nonnull (cl);
  body = gn_test_read_exact (conn, g_ascii_strtoull (cl + 16, NULL, 10));
  return bytes_to_string (body);
}

static void
test_http_keep_alive (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", f->port);
  g_autofree char *request = g_strdup_printf ("GET http://127.0.0.1:%u/port HTTP/1.1\r\n"
                                              "Host: 127.0.0.1\r\n"
                                              "Proxy-Connection: keep-alive\r\n\r\n",
                                              gn_test_origin_get_port (f->origin));
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *pipelined = NULL;
  guint status;

  gn_test_send (conn, request, -1);
  first = read_response (conn, &status);
  g_assert_cmpuint (status, ==, 200);
  gn_test_send (conn, request, -1);
  second = read_response (conn, &status);
  g_assert_cmpuint (status, ==, 200);
  /* The same client connection reused the same origin connection. */
  g_assert_cmpstr (first, ==, second);

  /* Two pipelined requests in one write are answered in order. */
  pipelined = g_strdup_printf ("%sGET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n\r\n",
                               request, gn_test_origin_get_port (f->origin));
  gn_test_send (conn, pipelined, -1);
  third = read_response (conn, &status);
  g_assert_cmpstr (third, ==, first);
  hello = read_response (conn, &status);
  g_assert_cmpstr (hello, ==, "hello world");
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 4);
}

static void
test_connect_exchange (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *url = origin_url (f, "/hello");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", f->port);
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;
  guint status;

  g_assert_cmpint (gn_test_curl (&out, "-p", "-x", f->proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);

  /* Raw: bytes sent right behind the CONNECT head are forwarded too. */
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                             gn_test_origin_get_port (f->origin));
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpstr (head, ==, "HTTP/1.1 200 Connection established\r\n\r\n");
  body = read_response (conn, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "hello world");
}

static void
test_connect_half_close (Fixture       *f,
                         gconstpointer  data)
{
  GnTestSink *sink = gn_test_sink_new ();
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", f->port);
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n",
                                              gn_test_sink_get_port (sink));
  g_autofree char *head = NULL;
  g_autofree char *payload = g_strnfill (100000, 'x');
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  gn_test_send (conn, payload, -1);
  /* Our EOF must reach the origin as EOF, while its answer still comes back. */
  g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, &error);
  g_assert_no_error (error);
  reply = gn_test_read_all (conn, 1024);
  g_assert_cmpmem (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), "got 100000\n", 11);
  g_assert_cmpuint (gn_test_sink_free (sink), ==, 100000);
}

static void
test_connect_ipv6 (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("http://[::1]:%u/hello", gn_test_origin_get_port6 (f->origin));
  g_autofree char *request = g_strdup_printf ("CONNECT [::1]:%u HTTP/1.1\r\n\r\n",
                                              gn_test_origin_get_port6 (f->origin));
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", f->port);
  g_autofree char *head = NULL;
  g_autoptr(GBytes) out = NULL;

  g_assert_cmpuint (gn_test_origin_get_port6 (f->origin), >, 0);
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);

  g_assert_cmpint (gn_test_curl (&out, "-p", "-x", f->proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);
  g_clear_pointer (&out, g_bytes_unref);
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);
}

static void
test_blocked_connect (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *reply = gn_test_exchange (f->port, "CONNECT blocked.test:443 HTTP/1.1\r\n\r\n");
  g_autofree char *sub = gn_test_exchange (f->port, "CONNECT a.b.Blocked.Test:443 HTTP/1.1\r\n\r\n");

  g_assert_cmpuint (gn_test_status (reply), ==, 403);
  g_assert_nonnull (strstr (reply, "blocked.test"));
  g_assert_cmpuint (gn_test_status (sub), ==, 403);
  g_assert_nonnull (strstr (sub, "a.b.blocked.test"));
  g_assert_nonnull (strstr (sub, "rule blocked.test"));
}

static void
test_blocked_http (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) out = NULL;
  g_autofree char *page = NULL;

  /* -w prints the status after the body. */
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, "-w", "\n%{http_code}", "http://www.blocked.test/x", NULL), ==, 0);
  page = bytes_to_string (out);
  g_assert_true (g_str_has_suffix (page, "\n403"));
  g_assert_nonnull (strstr (page, "<html"));
  g_assert_nonnull (strstr (page, "www.blocked.test"));   /* the domain */
  g_assert_nonnull (strstr (page, "malware.txt"));        /* the list */
  g_assert_nonnull (strstr (page, "<code>blocked.test</code>"));  /* the rule */
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);
}

static void
test_not_blocked_lookalike (Fixture       *f,
                            gconstpointer  data)
{
  /* "notblocked.test" only ends like a listed name: not blocked (it then
   * fails to resolve or connect, which is a 502/504, not a 403). */
  g_autofree char *reply = gn_test_exchange (f->port, "CONNECT notblocked.test:443 HTTP/1.1\r\n\r\n");
  guint status = gn_test_status (reply);

  g_assert_cmpuint (status, !=, 403);
  g_assert_true (status == 502 || status == 504);
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  guint16 closed;
  g_autoptr(GSocket) refusing = gn_test_refusing_port_new (&closed);
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", closed);
  g_autofree char *reply = gn_test_exchange (f->port, request);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", closed);
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (gn_test_status (reply), ==, 502);
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, "-o", "/dev/null", "-w", "%{http_code}", url, NULL), ==, 0);
  text = bytes_to_string (out);
  g_assert_cmpstr (text, ==, "502");
}

/* Does @engine's registry hold a connection of @kind to 127.0.0.1:@port? */
static gboolean
went_through (GnEngine         *engine,
              GnConnectionKind  kind,
              guint16           port)
{
  g_autoptr(GPtrArray) infos = gn_connection_registry_snapshot (gn_engine_get_registry (engine),
                                                                NULL, NULL);

  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (info->kind == kind && info->port == port && g_strcmp0 (info->host, "127.0.0.1") == 0)
        return TRUE;
    }
  return FALSE;
}

/* With an upstream (the user's company proxy; here the fixture's engine,
 * which blocks blocked.test), our traffic leaves through it: plain HTTP in
 * absolute form, tunnels through its own CONNECT. */
static void
test_upstream (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) ours = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *url = origin_url (f, "/hello");
  g_autofree char *blocked = g_strdup_printf ("http://blocked.test:%u/", gn_test_origin_get_port (f->origin));
  g_autofree char *request = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(GBytes) out = NULL;
  guint16 origin_port = gn_test_origin_get_port (f->origin);

  config->port = 0;
  config->upstream_host = g_strdup ("127.0.0.1");
  config->upstream_port = f->port;
  ours = gn_test_engine_new (config, NULL);
  proxy = gn_test_proxy_url (gn_engine_get_port (ours));

  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);
  g_assert_true (went_through (f->engine, GN_CONNECTION_KIND_HTTP, origin_port));
  g_assert_false (went_through (f->engine, GN_CONNECTION_KIND_TUNNEL, origin_port));

  g_clear_pointer (&out, g_bytes_unref);
  /* The origin closes after its answer, so both tunnels end at once. */
  g_assert_cmpint (gn_test_curl (&out, "-p", "-x", proxy, "-H", "Connection: close", url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);
  g_assert_true (went_through (f->engine, GN_CONNECTION_KIND_TUNNEL, origin_port));

  /* What the upstream refuses: its 403 page for plain HTTP, and for a
   * tunnel our 502 naming the proxy that refused. */
  g_clear_pointer (&out, g_bytes_unref);
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, "-o", "/dev/null", "-w", "%{http_code}",
                                 blocked, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "403", 3);
  request = g_strdup_printf ("CONNECT blocked.test:%u HTTP/1.1\r\n\r\n", origin_port);
  reply = gn_test_exchange (gn_engine_get_port (ours), request);
  g_assert_cmpuint (gn_test_status (reply), ==, 502);
  g_assert_nonnull (strstr (reply, "through your proxy 127.0.0.1"));

  gn_engine_stop (ours);
}

/* A company proxy that is gone: 502 saying so, never a direct connection. */
static void
test_upstream_gone (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) ours = NULL;
  g_autoptr(GSocket) refusing = NULL;
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n",
                                              gn_test_origin_get_port (f->origin));
  g_autofree char *reply = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *url = origin_url (f, "/hello");
  g_autoptr(GBytes) out = NULL;

  config->port = 0;
  config->upstream_host = g_strdup ("127.0.0.1");
  refusing = gn_test_refusing_port_new (&config->upstream_port);
  ours = gn_test_engine_new (config, NULL);
  proxy = gn_test_proxy_url (gn_engine_get_port (ours));

  reply = gn_test_exchange (gn_engine_get_port (ours), request);
  g_assert_cmpuint (gn_test_status (reply), ==, 502);
  g_assert_nonnull (strstr (reply, "through your proxy"));
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, "-o", "/dev/null", "-w", "%{http_code}", url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "502", 3);
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);

  gn_engine_stop (ours);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  struct { const char *request; guint status; } cases[] = {
    { "GARBAGE\r\n\r\n", 400 },
    { "GET http://x/ HTTP/1.1 extra\r\n\r\n", 400 },
    { "GET http://x/ HTTP/3.0\r\n\r\n", 505 },
    { "CONNECT exa mple.com:443 HTTP/1.1\r\n\r\n", 400 },
    { "CONNECT example.com:99999 HTTP/1.1\r\n\r\n", 400 },
    { "CONNECT example.com HTTP/1.1\r\n\r\n", 400 },
    { "GET http://bad host/ HTTP/1.1\r\n\r\n", 400 },
    { "GET http://user@example.com/ HTTP/1.1\r\n\r\n", 400 },
    { "GET ftp://example.com/ HTTP/1.1\r\n\r\n", 400 },
    { "POST http://example.com/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reply = gn_test_exchange (f->port, cases[i].request);

      g_test_message ("request %s", cases[i].request);
      g_assert_cmpuint (gn_test_status (reply), ==, cases[i].status);
    }
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);
}

static void
test_self_loop (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", f->port);
  g_autofree char *url2 = g_strdup_printf ("http://localhost:%u/some/path", f->port);
  g_autofree char *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", f->port);
  g_autofree char *reply = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;
  g_autofree char *direct = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", f->port);

  /* Through the proxy at the proxy: answered, never forwarded. */
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, url, NULL), ==, 0);
  text = bytes_to_string (out);
  g_assert_nonnull (strstr (text, "GuardNest is running"));
  g_clear_pointer (&out, g_bytes_unref);
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (gn_test_curl (&out, "-x", f->proxy, url2, NULL), ==, 0);
  text = bytes_to_string (out);
  g_assert_nonnull (strstr (text, "GuardNest is running"));

  reply = gn_test_exchange (f->port, connect);
  g_assert_cmpuint (gn_test_status (reply), ==, 508);

  /* An origin-form request (a browser opening the proxy's address). */
  g_clear_pointer (&reply, g_free);
  reply = gn_test_exchange (f->port, direct);
  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  g_assert_nonnull (strstr (reply, "GuardNest is running"));
}

static void
check_pattern (GBytes *bytes,
               gsize   size)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  g_autoptr(GChecksum) got = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GChecksum) want = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 block[65536];

  g_assert_cmpuint (g_bytes_get_size (bytes), ==, size);
  g_checksum_update (got, data, size);
  for (gsize off = 0; off < size; off += sizeof block)
    {
      gsize n = MIN (sizeof block, size - off);

      for (gsize i = 0; i < n; i++)
        block[i] = gn_test_pattern (off + i);
      g_checksum_update (want, block, n);
    }
  g_assert_cmpstr (g_checksum_get_string (got), ==, g_checksum_get_string (want));
}

static void
test_large_transfer (Fixture       *f,
                     gconstpointer  data)
{
  gsize size = 100 * 1024 * 1024;
  g_autofree char *path = g_strdup_printf ("/big?size=%" G_GSIZE_FORMAT, size);
  g_autofree char *url = origin_url (f, path);
  g_autoptr(GBytes) tunnelled = NULL;
  g_autoptr(GBytes) forwarded = NULL;

  g_assert_cmpint (gn_test_curl (&tunnelled, "-p", "-x", f->proxy, url, NULL), ==, 0);
  check_pattern (tunnelled, size);
  g_clear_pointer (&tunnelled, g_bytes_unref);
  g_assert_cmpint (gn_test_curl (&forwarded, "-x", f->proxy, url, NULL), ==, 0);
  check_pattern (forwarded, size);
}

/* ---- engine lifecycle (no fixture origin needed) -------------------------- */

static void
test_port_in_use (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) taken = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *port_text = NULL;

  g_socket_bind (taken, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (taken, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (taken, &error);
  config->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  engine = gn_engine_new (config);
  g_assert_false (gn_engine_start (engine, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE);
  port_text = g_strdup_printf ("Port %u is already used by another program", config->port);
  g_assert_cmpstr (error->message, ==, port_text);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_FAILED);
  {
    g_autoptr(GError) engine_error = gn_engine_dup_error (engine);

    g_assert_error (engine_error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE);
  }
  g_assert_cmpuint (gn_engine_get_port (engine), ==, 0);
}

static void
test_start_stop_start (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  g_autoptr(GnEngineConfig) old = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));
  guint16 port = gn_engine_get_port (engine);

  proxy = gn_test_proxy_url (port);
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, url, NULL), ==, 0);
  g_clear_pointer (&out, g_bytes_unref);

  gn_engine_stop (engine);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_STOPPED);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, 0);
  /* The port is released: nobody answers there. */
  g_assert_cmpint (gn_test_curl (NULL, "-x", proxy, url, NULL), !=, 0);

  /* Start again on the very same port, at once. */
  old = gn_engine_dup_config (engine);
  config = gn_engine_config_copy (old);
  config->port = port;
  gn_engine_set_config (engine, config);
  gn_engine_start (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);

  /* And restart in place. */
  gn_engine_restart (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpint (gn_test_curl (NULL, "-x", proxy, url, NULL), ==, 0);

  gn_engine_stop (engine);
  gn_test_origin_free (origin);
}

static void
test_non_loopback (void)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngineConfig) allowed = NULL;
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GError) error = NULL;

  g_free (config->bind_address);
  config->bind_address = g_strdup ("0.0.0.0");
  config->port = 0;
  engine = gn_engine_new (config);
  g_assert_false (gn_engine_start (engine, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_NOT_LOOPBACK);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_FAILED);
  g_clear_error (&error);

  /* Explicitly allowed: it binds. */
  allowed = gn_engine_config_copy (config);
  allowed->allow_non_loopback = TRUE;
  gn_engine_set_config (engine, allowed);
  g_assert_true (gn_engine_start (engine, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gn_engine_get_port (engine), >, 0);
  gn_engine_stop (engine);
}

static void
on_status (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  GArray *seen = user_data;
  int status = gn_engine_get_status (GN_ENGINE (object));

  g_array_append_val (seen, status);
}

static gboolean
seen_stopped (gpointer data)
{
  GArray *seen = data;

  return seen->len > 0 && g_array_index (seen, int, seen->len - 1) == GN_ENGINE_STATUS_STOPPED;
}

static void
test_status_notify (void)
{
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (int));

  /* Notifications arrive on the owner's (this thread's) context. */
  g_signal_connect (engine, "notify::status", G_CALLBACK (on_status), seen);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gn_engine_stop (engine);
  g_assert_true (gn_test_wait_until (seen_stopped, seen, 5000));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* One-time process state (GLib's worker thread, resolver) before the
   * fd counts start. */
  {
    g_autoptr(GnEngine) warm = gn_test_engine_new (NULL, NULL);
    GnTestOrigin *origin = gn_test_origin_new (TRUE);
    g_autofree char *proxy = gn_test_proxy_url (gn_engine_get_port (warm));
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));

    g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
    g_autoptr(GnEngine) through = NULL;
    /* The origin closes after its answer, so the tunnel ends by itself. */
    g_autofree char *tunnel = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n"
                                               "GET /hello HTTP/1.1\r\nHost: x\r\n"
                                               "Connection: close\r\n\r\n",
                                               gn_test_origin_get_port (origin));

    gn_test_curl (NULL, "-x", proxy, url, NULL);
    g_free (gn_test_exchange (gn_engine_get_port (warm), "CONNECT notblocked.test:443 HTTP/1.1\r\n\r\n"));
    /* And a tunnel through an upstream (GIO's HTTP proxy support). */
    config->port = 0;
    config->upstream_host = g_strdup ("127.0.0.1");
    config->upstream_port = gn_engine_get_port (warm);
    through = gn_test_engine_new (config, NULL);
    g_free (gn_test_exchange (gn_engine_get_port (through), tunnel));
    gn_engine_stop (through);
    gn_engine_stop (warm);
    gn_test_origin_free (origin);
  }

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/proxy/http/get", test_http_get);
  ADD ("/proxy/http/post-body", test_http_post);
  ADD ("/proxy/http/chunked", test_http_chunked);
  ADD ("/proxy/http/keep-alive", test_http_keep_alive);
  ADD ("/proxy/connect/exchange", test_connect_exchange);
  ADD ("/proxy/connect/half-close", test_connect_half_close);
  ADD ("/proxy/connect/ipv6", test_connect_ipv6);
  ADD ("/proxy/blocked/connect", test_blocked_connect);
  ADD ("/proxy/blocked/http-page", test_blocked_http);
  ADD ("/proxy/blocked/lookalike-allowed", test_not_blocked_lookalike);
  ADD ("/proxy/errors/unreachable", test_unreachable);
  ADD ("/proxy/errors/malformed", test_malformed);
  ADD ("/proxy/self-loop", test_self_loop);
  ADD ("/proxy/upstream/through", test_upstream);
  ADD ("/proxy/upstream/gone", test_upstream_gone);
  /* ~10 s: only with -m slow (the 'slow' suite). */
  if (g_test_slow ())
    ADD ("/proxy/large-transfer", test_large_transfer);
#undef ADD
  g_test_add_func ("/proxy/engine/port-in-use", test_port_in_use);
  g_test_add_func ("/proxy/engine/start-stop-start", test_start_stop_start);
  g_test_add_func ("/proxy/engine/non-loopback", test_non_loopback);
  g_test_add_func ("/proxy/engine/status-notify", test_status_notify);
  return g_test_run ();
}
