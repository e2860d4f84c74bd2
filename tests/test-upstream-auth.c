/* test-upstream-auth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A company proxy that asks for a password (GNOME's "use authentication"):
 * the engine sends the user's Basic credentials to it, for tunnels (GIO's
 * HTTP CONNECT) and plain HTTP (Proxy-Authorization on each request), and
 * says clearly when the proxy refuses them. The upstream is a real
 * tinyproxy with BasicAuth.
 */

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "test-utils.h"

#define USER "alice"
#define PASSWORD "pa55-w0rd"

typedef struct
{
  GPid     pid;
  guint16  port;
  char    *dir;
} Upstream;

static gboolean
listening (gpointer data)
{
  Upstream *up = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", up->port, NULL, NULL);
  return conn != NULL;
}

/* In the child: die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
upstream_start (Upstream *up)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  const char *argv[] = { "tinyproxy", "-d", "-c", NULL, NULL };

  up->dir = g_dir_make_tmp ("gn-upstream-XXXXXX", &error);
  g_assert_no_error (error);
  up->port = gn_test_free_port ();
  conf = g_strdup_printf ("Port %u\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\n"
                          "LogLevel Critical\nLogFile \"%s/tinyproxy.log\"\n"
                          "PidFile \"%s/tinyproxy.pid\"\nAllow 127.0.0.1\n"
                          "BasicAuth " USER " " PASSWORD "\n",
                          up->port, up->dir, up->dir);
  conf_path = g_build_filename (up->dir, "tinyproxy.conf", NULL);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  argv[3] = conf_path;
  if (!g_spawn_async (NULL, (char **) argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                      die_with_parent, NULL, &up->pid, &error))
    g_error ("cannot start tinyproxy (apt-get install tinyproxy): %s", error->message);
  if (!gn_test_wait_until (listening, up, 10000))
    g_error ("tinyproxy did not listen on port %u", up->port);
}

static void
upstream_stop (Upstream *up)
{
  const char *rm[] = { "rm", "-rf", up->dir, NULL };

  kill (up->pid, SIGTERM);
  waitpid (up->pid, NULL, 0);
  g_spawn_close_pid (up->pid);
  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_free (up->dir);
}

static GnEngine *
engine_through (Upstream   *up,
                const char *user,
                const char *password)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();

  config->port = 0;
  config->upstream_host = g_strdup ("127.0.0.1");
  config->upstream_port = up->port;
  config->upstream_user = g_strdup (user);
  config->upstream_password = g_strdup (password);
  return gn_test_engine_new (config, NULL);
}

static void
test_credentials_sent (void)
{
  Upstream up = { 0 };
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *request = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) out = NULL;
  GSocketConnection *conn;
  g_autofree char *head = NULL;
  guint16 origin_port = gn_test_origin_get_port (origin);

  upstream_start (&up);

  /* Without credentials the upstream answers 407: plain HTTP gets our
   * 502 that says so (never the 407, which would ask for a password to
   * GuardNest), a tunnel our 502 naming the proxy. */
  engine = engine_through (&up, NULL, NULL);
  proxy = gn_test_proxy_url (gn_engine_get_port (engine));
  url = g_strdup_printf ("http://127.0.0.1:%u/hello", origin_port);
  {
    g_autofree char *reply = NULL;

    g_assert_cmpint (gn_test_curl (&out, "-x", proxy, "-i", url, NULL), ==, 0);
    reply = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
    g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 502"));
    g_assert_nonnull (strstr (reply, "asks for a user name and password"));
    g_clear_pointer (&out, g_bytes_unref);
  }
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", origin_port);
  {
    g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);

    g_assert_cmpuint (gn_test_status (reply), ==, 502);
    g_assert_nonnull (strstr (reply, "through your proxy 127.0.0.1"));
  }
  gn_engine_stop (engine);
  g_clear_object (&engine);

  /* A wrong password: the tunnel gets our 502 naming the proxy; plain
   * HTTP gets the proxy's refusal (tinyproxy answers 401 here), and
   * nothing reaches the origin. */
  engine = engine_through (&up, USER, "wrong");
  {
    g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);

    g_assert_cmpuint (gn_test_status (reply), ==, 502);
    g_assert_nonnull (strstr (reply, "through your proxy 127.0.0.1"));
  }
  g_free (proxy);
  proxy = gn_test_proxy_url (gn_engine_get_port (engine));
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, "-o", "/dev/null", "-w", "%{http_code}", url, NULL), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "401", 3);
  g_clear_pointer (&out, g_bytes_unref);
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, 0);
  gn_engine_stop (engine);
  g_clear_object (&engine);

  /* The right ones: plain HTTP and a tunnel both get through. */
  engine = engine_through (&up, USER, PASSWORD);
  gn_test_assert_served (gn_engine_get_port (engine), origin);
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, 1);

  conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  gn_test_send (conn, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", -1);
  g_free (head);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, 2);
  g_object_unref (conn);

  gn_engine_stop (engine);
  g_clear_object (&engine);
  upstream_stop (&up);
  gn_test_origin_free (origin);
}

/* Credentials with the characters URIs reserve survive the trip into
 * GIO's proxy URI; the header is plain Basic of user:password. */
static void
test_uri_escaping (void)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autofree char *uri = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *host = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GError) error = NULL;
  int port = 0;

  g_assert_null (gn_engine_config_dup_upstream_uri (config));
  config->upstream_host = g_strdup ("::1");
  config->upstream_port = 3128;
  uri = gn_engine_config_dup_upstream_uri (config);
  g_assert_cmpstr (uri, ==, "http://[::1]:3128");
  g_assert_null (gn_engine_config_dup_upstream_authorization (config));

  config->upstream_user = g_strdup ("corp\\al ice@x");
  config->upstream_password = g_strdup ("p:w/d?#%");
  g_free (uri);
  uri = gn_engine_config_dup_upstream_uri (config);
  g_uri_split_with_user (uri, G_URI_FLAGS_HAS_PASSWORD, NULL, &user, &password, NULL, &host,
                         &port, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, "corp\\al ice@x");
  g_assert_cmpstr (password, ==, "p:w/d?#%");
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpint (port, ==, 3128);

  header = gn_engine_config_dup_upstream_authorization (config);
  g_assert_cmpstr (header, ==, "Basic Y29ycFxhbCBpY2VAeDpwOncvZD8jJQ==");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/upstream-auth/credentials-sent", test_credentials_sent);
  g_test_add_func ("/upstream-auth/uri-escaping", test_uri_escaping);

  return g_test_run ();
}
