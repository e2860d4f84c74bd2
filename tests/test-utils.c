/* test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared test helpers (see test-utils.h). The origins run on their own
 * threads with their own GMainContext, the way libsoup's own tests run
 * their servers, so that a test can use blocking clients on its thread.
 */

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "test-utils.h"

#define BIG_MAX (1024u * 1024u * 1024u)
#define IO_TIMEOUT_S 20

/* ---- the SoupServer origin ------------------------------------------------- */

struct _GnTestOrigin
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  gboolean      ipv6;
  guint16       port;
  guint16       port6;
  guint         n_requests;   /* atomic */
  GMutex        lock;
  GCond         cond;
  gboolean      ready;
};

guint8
gn_test_pattern (guint64 offset)
{
  /* Not periodic in any power of two, so a dropped or repeated buffer shows. */
  return (guint8) ((offset * 7 + offset / 251) & 0xff);
}

static void
handle_big (SoupServerMessage *msg,
            GHashTable        *query)
{
  const char *size_str = query ? g_hash_table_lookup (query, "size") : NULL;
  guint64 size = size_str ? g_ascii_strtoull (size_str, NULL, 10) : 1024;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const gsize block = 1024 * 1024;
  guint64 off = 0;

  size = MIN (size, BIG_MAX);
  soup_message_headers_set_content_length (soup_server_message_get_response_headers (msg), size);
  while (off < size)
    {
      gsize n = MIN (block, size - off);
      guint8 *data = g_malloc (n);

      for (gsize i = 0; i < n; i++)
        data[i] = gn_test_pattern (off + i);
      soup_message_body_append_take (body, data, n);
      off += n;
    }
  soup_server_message_set_status (msg, 200, NULL);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  GnTestOrigin *origin = user_data;
  guint count = g_atomic_int_add (&origin->n_requests, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/hello"))
    {
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "hello world", 11);
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/echo"))
    {
      SoupMessageBody *req = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (req);
      const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);

      soup_server_message_set_response (msg, type ? type : "application/octet-stream", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/chunked"))
    {
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "chunk-one,", 10);
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "chunk-two,", 10);
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "chunk-three", 11);
      soup_message_body_complete (body);
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/port"))
    {
      GSocketAddress *remote = soup_server_message_get_remote_address (msg);
      char *text = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, text, strlen (text));
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/count"))
    {
      char *text = g_strdup_printf ("%u", count);

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, text, strlen (text));
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/big"))
    handle_big (msg, query);
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static gpointer
origin_thread (gpointer data)
{
  GnTestOrigin *origin = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (origin->context);
  origin->server = soup_server_new ("server-header", "gn-test-origin", NULL);
  soup_server_add_handler (origin->server, NULL, server_callback, origin, NULL);
  soup_server_listen_local (origin->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  if (origin->ipv6)
    {
      soup_server_listen_local (origin->server, 0, SOUP_SERVER_LISTEN_IPV6_ONLY, &error);
      g_assert_no_error (error);
    }

  uris = soup_server_get_uris (origin->server);
  for (GSList *l = uris; l != NULL; l = l->next)
    {
      const char *host = g_uri_get_host (l->data);

      if (strchr (host, ':') != NULL)
        origin->port6 = g_uri_get_port (l->data);
      else
        origin->port = g_uri_get_port (l->data);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&origin->lock);
  origin->ready = TRUE;
  g_cond_signal (&origin->cond);
  g_mutex_unlock (&origin->lock);

  g_main_loop_run (origin->loop);

  soup_server_disconnect (origin->server);
  g_assert_cmpint (G_OBJECT (origin->server)->ref_count, ==, 1);
  g_clear_object (&origin->server);
  while (g_main_context_iteration (origin->context, FALSE))
    ;
  g_main_context_pop_thread_default (origin->context);
  return NULL;
}

GnTestOrigin *
gn_test_origin_new (gboolean ipv6)
{
  GnTestOrigin *origin = g_new0 (GnTestOrigin, 1);

  g_mutex_init (&origin->lock);
  g_cond_init (&origin->cond);
  origin->ipv6 = ipv6;
  origin->context = g_main_context_new ();
  origin->loop = g_main_loop_new (origin->context, FALSE);
  origin->thread = g_thread_new ("test-origin", origin_thread, origin);

  g_mutex_lock (&origin->lock);
  while (!origin->ready)
    g_cond_wait (&origin->cond, &origin->lock);
  g_mutex_unlock (&origin->lock);
  return origin;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
gn_test_origin_free (GnTestOrigin *origin)
{
  g_main_context_invoke (origin->context, quit_cb, origin->loop);
  g_thread_join (origin->thread);
  g_main_loop_unref (origin->loop);
  g_main_context_unref (origin->context);
  g_mutex_clear (&origin->lock);
  g_cond_clear (&origin->cond);
  g_free (origin);
}

guint16
gn_test_origin_get_port (GnTestOrigin *origin)
{
  return origin->port;
}

guint16
gn_test_origin_get_port6 (GnTestOrigin *origin)
{
  return origin->port6;
}

guint
gn_test_origin_get_n_requests (GnTestOrigin *origin)
{
  return g_atomic_int_get (&origin->n_requests);
}

/* ---- the raw sink ---------------------------------------------------------- */

struct _GnTestSink
{
  GSocket *listener;
  GThread *thread;
  guint16  port;
  guint64  received;
};

static gpointer
sink_thread (gpointer data)
{
  GnTestSink *sink = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) conn = g_socket_accept (sink->listener, NULL, &error);
  g_autofree char *buf = g_malloc (65536);
  g_autofree char *reply = NULL;
  gssize n;

  g_assert_no_error (error);
  g_socket_set_timeout (conn, IO_TIMEOUT_S);
  while ((n = g_socket_receive (conn, buf, 65536, NULL, &error)) > 0)
    sink->received += n;
  g_assert_no_error (error);

  reply = g_strdup_printf ("got %" G_GUINT64_FORMAT "\n", sink->received);
  g_assert_cmpint (g_socket_send (conn, reply, strlen (reply), NULL, &error), ==, strlen (reply));
  g_socket_close (conn, NULL);
  return NULL;
}

GnTestSink *
gn_test_sink_new (void)
{
  GnTestSink *sink = g_new0 (GnTestSink, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  sink->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (sink->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (sink->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sink->listener, &error);
  sink->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  sink->thread = g_thread_new ("test-sink", sink_thread, sink);
  return sink;
}

guint16
gn_test_sink_get_port (GnTestSink *sink)
{
  return sink->port;
}

guint64
gn_test_sink_free (GnTestSink *sink)
{
  guint64 received;

  g_thread_join (sink->thread);
  g_socket_close (sink->listener, NULL);
  g_object_unref (sink->listener);
  received = sink->received;
  g_free (sink);
  return received;
}

/* ---- the firehose ------------------------------------------------------------ */

struct _GnTestFirehose
{
  GSocket *listener;
  GThread *thread;
  guint16  port;
  gsize    sent;   /* atomic */
};

static gpointer
firehose_thread (gpointer data)
{
  GnTestFirehose *hose = data;
  g_autoptr(GSocket) conn = g_socket_accept (hose->listener, NULL, NULL);
  g_autofree char *buf = g_malloc0 (65536);

  if (conn == NULL)
    return NULL;
  g_socket_set_timeout (conn, IO_TIMEOUT_S);
  for (;;)
    {
      gssize n = g_socket_send (conn, buf, 65536, NULL, NULL);

      if (n <= 0)
        break;
      g_atomic_pointer_add (&hose->sent, n);
    }
  g_socket_close (conn, NULL);
  return NULL;
}

GnTestFirehose *
gn_test_firehose_new (void)
{
  GnTestFirehose *hose = g_new0 (GnTestFirehose, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  hose->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (hose->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (hose->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (hose->listener, &error);
  hose->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  hose->thread = g_thread_new ("test-firehose", firehose_thread, hose);
  return hose;
}

guint16
gn_test_firehose_get_port (GnTestFirehose *hose)
{
  return hose->port;
}

guint64
gn_test_firehose_get_sent (GnTestFirehose *hose)
{
  return (guint64) g_atomic_pointer_get (&hose->sent);
}

void
gn_test_firehose_free (GnTestFirehose *hose)
{
  g_thread_join (hose->thread);
  g_socket_close (hose->listener, NULL);
  g_object_unref (hose->listener);
  g_free (hose);
}

/* ---- curl ------------------------------------------------------------------ */

int
gn_test_curl (GBytes     **out,
              const char  *first_arg,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GStrvBuilder) clean = g_strv_builder_new ();
  g_auto(GStrv) envp = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, (char *) "curl");
  g_ptr_array_add (argv, (char *) "-sS");
  g_ptr_array_add (argv, (char *) "--max-time");
  g_ptr_array_add (argv, (char *) "60");
  g_ptr_array_add (argv, (char *) "--noproxy");
  g_ptr_array_add (argv, (char *) "");
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  for (guint i = 0; env[i] != NULL; i++)
    {
      g_autofree char *lower = g_ascii_strdown (env[i], -1);

      if (strstr (lower, "_proxy=") == NULL)
        g_strv_builder_add (clean, env[i]);
    }
  envp = g_strv_builder_end (clean);

  /* Binary-safe stdout through a temporary file; reaped with waitpid() so
   * no child watch (and no descriptor) outlives the call. */
  {
    g_autofree char *tmp = NULL;
    g_autofree char *contents = NULL;
    int fd = g_file_open_tmp ("gn-curl-XXXXXX", &tmp, &error);
    GPid pid;
    int wait_status = 0;
    gsize len = 0;

    g_assert_no_error (error);
    g_spawn_async_with_fds (NULL, (char **) argv->pdata, envp,
                            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, -1, fd, -1, &error);
    g_assert_no_error (error);
    close (fd);
    while (waitpid (pid, &wait_status, 0) < 0 && errno == EINTR)
      ;
    g_spawn_close_pid (pid);
    status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
    g_file_get_contents (tmp, &contents, &len, &error);
    g_assert_no_error (error);
    g_unlink (tmp);
    if (out != NULL)
      *out = g_bytes_new_take (g_steal_pointer (&contents), len);
  }

  return status;
}

char *
gn_test_proxy_url (guint16 port)
{
  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

/* ---- raw clients ------------------------------------------------------------ */

GSocketConnection *
gn_test_connect (const char *host,
                 guint16     port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, host, port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), IO_TIMEOUT_S);
  return conn;
}

void
gn_test_send (GSocketConnection *conn,
              const char        *data,
              gssize             len)
{
  g_autoptr(GError) error = NULL;

  if (len < 0)
    len = strlen (data);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

char *
gn_test_read_head (GSocketConnection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_autoptr(GString) head = g_string_new (NULL);

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char c;
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (in, &c, 1, NULL, &error);

      if (n <= 0)
        return NULL;
      g_string_append_c (head, c);
    }
  return g_string_free (g_steal_pointer (&head), FALSE);
}

GBytes *
gn_test_read_exact (GSocketConnection *conn,
                    gsize              len)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_autoptr(GError) error = NULL;
  char *buf = g_malloc (len + 1);
  gsize got = 0;

  g_input_stream_read_all (in, buf, len, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got, ==, len);
  return g_bytes_new_take (buf, len);
}

GBytes *
gn_test_read_all (GSocketConnection *conn,
                  gsize              max)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_autoptr(GByteArray) all = g_byte_array_new ();
  char buf[16384];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, &error);

      if (n <= 0)
        break;
      g_byte_array_append (all, (guint8 *) buf, n);
      if (all->len >= max)
        break;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}

char *
gn_test_exchange (guint16     port,
                  const char *request)
{
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", port);
  g_autoptr(GBytes) reply = NULL;

  gn_test_send (conn, request, -1);
  reply = gn_test_read_all (conn, 1024 * 1024);
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

guint
gn_test_status (const char *head)
{
  if (head == NULL || !g_str_has_prefix (head, "HTTP/1.") || strlen (head) < 12)
    return 0;
  return g_ascii_strtoull (head + 9, NULL, 10);
}

GSocket *
gn_test_refusing_port_new (guint16 *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return g_steal_pointer (&socket);
}

guint16
gn_test_free_port (void)
{
  guint16 port;
  g_autoptr(GSocket) socket = gn_test_refusing_port_new (&port);

  g_socket_close (socket, NULL);
  return port;
}

/* ---- the engine ----------------------------------------------------------- */

char *
gn_test_write_list (const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gn-test-XXXXXX", &error);
  char *path;

  g_assert_no_error (error);
  path = g_build_filename (dir, "malware.txt", NULL);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

void
gn_test_remove_file (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

char *
gn_test_private_user_dirs (const char *name)
{
  const char *dirs[] = { "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME" };
  g_autofree char *template = g_strdup_printf ("gn-%s-XXXXXX", name);
  char *root = g_dir_make_tmp (template, NULL);

  g_assert_nonnull (root);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (root, dirs[i], NULL);

      g_setenv (dirs[i], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("XDG_CURRENT_DESKTOP", "GNOME", TRUE);
  g_unsetenv ("GN_OS_PROXY_BACKEND");
  g_unsetenv ("GN_PROXY_JOURNAL");
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
  return root;
}

void
gn_test_remove_tree (const char *path)
{
  const char *rm[] = { "rm", "-rf", path, NULL };

  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

GnEngine *
gn_test_engine_new (GnEngineConfig *config,
                    const char     *blocklist_contents)
{
  g_autoptr(GnEngineConfig) own = NULL;
  g_autoptr(GError) error = NULL;
  GnEngine *engine;

  if (config == NULL)
    {
      own = gn_engine_config_new ();
      own->port = 0;
      config = own;
    }
  /* GN_TEST_N_WORKERS runs a whole test binary with that many workers
   * (tests/meson.build runs the proxy tests with 1, the engine thread
   * alone, as well as with the default). */
  if (config->n_workers == 0 && g_getenv ("GN_TEST_N_WORKERS") != NULL)
    {
      GnEngineConfig *copy = gn_engine_config_copy (config);

      copy->n_workers = (guint) g_ascii_strtoull (g_getenv ("GN_TEST_N_WORKERS"), NULL, 10);
      g_clear_pointer (&own, gn_engine_config_unref);
      own = copy;
      config = own;
    }

  engine = gn_engine_new (config);
  if (blocklist_contents != NULL)
    {
      g_autofree char *path = gn_test_write_list (blocklist_contents);
      const char *paths[] = { path, NULL };
      g_autoptr(GnBlocklist) list = gn_blocklist_new_from_files (paths, &error);

      g_assert_no_error (error);
      gn_engine_set_blocklist (engine, list);
      gn_test_remove_file (path);
    }

  gn_engine_start (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), >, 0);
  return engine;
}

gboolean
gn_test_wait_until (gboolean (*func) (gpointer data),
                    gpointer   data,
                    guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!func (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

void
gn_test_assert_served (guint16       proxy_port,
                       GnTestOrigin *origin)
{
  g_autofree char *proxy = gn_test_proxy_url (proxy_port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));
  g_autoptr(GBytes) out = NULL;

  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "hello world", 11);
}

void
gn_test_assert_closed (GPtrArray *conns)
{
  for (guint i = 0; i < conns->len; i++)
    {
      g_autoptr(GBytes) rest = gn_test_read_all (g_ptr_array_index (conns, i), 16);

      g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
    }
}

typedef struct
{
  GPtrArray *conns;
  guint      delay_ms;
} DelayedClose;

static gpointer
close_later (gpointer data)
{
  DelayedClose *d = data;

  g_usleep (d->delay_ms * 1000);
  for (guint i = 0; i < d->conns->len; i++)
    g_io_stream_close (g_ptr_array_index (d->conns, i), NULL, NULL);
  g_free (d);
  return NULL;
}

GThread *
gn_test_close_later (GPtrArray *conns,
                     guint      delay_ms)
{
  DelayedClose *d = g_new0 (DelayedClose, 1);

  d->conns = conns;
  d->delay_ms = delay_ms;
  return g_thread_new ("closer", close_later, d);
}

typedef struct
{
  GnConnectionRegistry *registry;
  guint                 n;
} OpenCount;

static gboolean
open_is (gpointer data)
{
  OpenCount *c = data;

  return gn_connection_registry_get_n_open (c->registry) == c->n;
}

void
gn_test_wait_open (GnEngine *engine,
                   guint     n)
{
  OpenCount c = { gn_engine_get_registry (engine), n };

  g_assert_true (gn_test_wait_until (open_is, &c, 10000));
}

/* ---- resources ------------------------------------------------------------- */

guint
gn_test_count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_getenv ("GN_TEST_DEBUG_FDS") != NULL)
        {
          g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
          g_autofree char *target = g_file_read_link (path, NULL);

          g_printerr ("fd %s -> %s\n", name, target ? target : "?");
        }
      n++;
    }
  return n;
}

guint
gn_test_count_fds_settled (void)
{
  guint last = gn_test_count_fds ();

  for (guint i = 0; i < 50; i++)
    {
      guint now;

      g_main_context_iteration (NULL, FALSE);
      g_usleep (100 * 1000);
      now = gn_test_count_fds ();
      if (now == last)
        return now;
      last = now;
    }
  return last;
}

guint
gn_test_wait_fds (guint expected)
{
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  guint now;

  while ((now = gn_test_count_fds ()) > expected && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return now;
}
