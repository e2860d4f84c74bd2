/* test-pac.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PAC mode, engine side: the proxy serves /proxy.pac itself (to a request
 * whose Host names it, as a PAC fetcher's does), and the script does what
 * it says when a real PAC engine (pacparser) runs it.
 */

#include <string.h>

#include "gn-pac.h"
#include "test-utils.h"

/* Runs tests/pac-eval.py on @script for (url, host) pairs; the answers. */
static GStrv
evaluate (const char         *script,
          const char * const *pairs)
{
  g_autofree char *path = gn_test_write_list (script);
  g_autofree char *helper = g_test_build_filename (G_TEST_DIST, "pac-eval.py", NULL);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* Debian's python3 (python3-pacparser), not one earlier in PATH. */
  g_strv_builder_add_many (argv, "/usr/bin/python3", helper, path, NULL);
  g_strv_builder_addv (argv, (const char **) pairs);
  args = g_strv_builder_end (argv);
  g_spawn_sync (NULL, args, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("pac-eval.py failed (is python3-pacparser installed?): %s", err);
  gn_test_remove_file (path);
  g_strchomp (out);
  return g_strsplit (out, "\n", -1);
}

/* The script from the running proxy, as a browser fetches it (origin-form,
 * no proxy) and through the proxy at itself. */
static void
test_served (void)
{
  const char *bypass[] = { "localhost", "127.0.0.0/8", "[::1]", "10.0.0.0/8", "172.16.0.0/12",
                           "*.corp.example", "<local>", "fe80::/10", "bad\"item", NULL };
  const char *pairs[] = {
    "http://example.com/", "example.com",
    "https://www.example.org/x", "www.example.org",
    "http://10.1.2.3/", "10.1.2.3",
    "http://11.1.2.3/", "11.1.2.3",
    "http://172.31.255.1/", "172.31.255.1",
    "http://172.32.0.1/", "172.32.0.1",
    "http://intranet/", "intranet",
    "http://wiki.corp.example/", "wiki.corp.example",
    "http://corp.example.org/", "corp.example.org",
    "http://127.0.0.1:8080/", "127.0.0.1",
    "http://localhost/", "localhost",
    "http://[::1]/", "::1",
    NULL
  };
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *via_proxy = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *request = NULL;
  g_auto(GStrv) answers = NULL;
  const char *body;
  guint16 port;

  config->port = 0;
  config->pac_bypass = g_strdupv ((char **) bypass);
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);
  ours = g_strdup_printf ("PROXY 127.0.0.1:%u; DIRECT", port);

  /* Our own Host (what a PAC fetcher sends for http://127.0.0.1:PORT/). */
  request = g_strdup_printf ("GET /proxy.pac HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
  reply = gn_test_exchange (port, request);
  g_clear_pointer (&request, g_free);
  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  g_assert_nonnull (strstr (reply, "\r\nContent-Type: application/x-ns-proxy-autoconfig\r\n"));
  g_assert_nonnull (strstr (reply, "\r\nCache-Control: no-store\r\n"));
  body = strstr (reply, "\r\n\r\n") + 4;
  g_assert_null (strstr (body, "bad"));  /* an unsafe item never reaches the script */

  answers = evaluate (body, pairs);
  g_assert_cmpuint (g_strv_length (answers), ==, g_strv_length ((char **) pairs) / 2);
  g_assert_cmpstr (answers[0], ==, ours);       /* example.com */
  g_assert_cmpstr (answers[1], ==, ours);       /* www.example.org (https too) */
  g_assert_cmpstr (answers[2], ==, "DIRECT");   /* 10.0.0.0/8 */
  g_assert_cmpstr (answers[3], ==, ours);       /* 11.x */
  g_assert_cmpstr (answers[4], ==, "DIRECT");   /* 172.16.0.0/12 */
  g_assert_cmpstr (answers[5], ==, ours);       /* 172.32.x */
  g_assert_cmpstr (answers[6], ==, "DIRECT");   /* <local>: plain host name */
  g_assert_cmpstr (answers[7], ==, "DIRECT");   /* *.corp.example */
  g_assert_cmpstr (answers[8], ==, ours);       /* corp.example.org is not */
  g_assert_cmpstr (answers[9], ==, "DIRECT");   /* loopback */
  g_assert_cmpstr (answers[10], ==, "DIRECT");  /* localhost */
  g_assert_cmpstr (answers[11], ==, "DIRECT");  /* [::1] */

  /* The engine's own decision (what goes direct instead of to a company
   * proxy) agrees with the PAC engine on every host. */
  for (guint i = 0; answers[i] != NULL; i++)
    {
      const char *host = pairs[2 * i + 1];

      g_assert_cmpint (gn_pac_bypass_matches (bypass, host), ==, g_str_equal (answers[i], "DIRECT"));
    }

  /* The same script through the proxy at itself, with a query string. */
  request = g_strdup_printf ("GET http://127.0.0.1:%u/proxy.pac?v=2 HTTP/1.1\r\nHost: x\r\n\r\n", port);
  via_proxy = gn_test_exchange (port, request);
  g_assert_cmpuint (gn_test_status (via_proxy), ==, 200);
  g_assert_cmpstr (strstr (via_proxy, "\r\n\r\n"), ==, strstr (reply, "\r\n\r\n"));

  /* HEAD: the head only. */
  g_free (reply);
  g_free (request);
  request = g_strdup_printf ("HEAD /proxy.pac HTTP/1.1\r\nHost: localhost:%u\r\n\r\n", port);
  reply = gn_test_exchange (port, request);
  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  g_assert_cmpstr (strstr (reply, "\r\n\r\n"), ==, "\r\n\r\n");

  /* Not a GET: not the script; other paths: not the script either. */
  g_free (reply);
  reply = gn_test_exchange (port, "POST /proxy.pac HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  g_assert_cmpuint (gn_test_status (reply), ==, 400);
  g_free (reply);
  reply = gn_test_exchange (port, "GET /proxy.pacx HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  g_assert_cmpuint (gn_test_status (reply), ==, 400);

  gn_engine_stop (engine);
}

/* Without a bypass list only loopback goes direct; a wildcard listener
 * names loopback in the script, never 0.0.0.0. */
static void
test_defaults (void)
{
  const char *pairs[] = { "http://10.1.2.3/", "10.1.2.3", "http://127.0.0.1/", "127.0.0.1",
                          "http://localhost/", "localhost", NULL };
  g_autofree char *script = gn_pac_script ("127.0.0.1", 3000, NULL);
  g_autofree char *v6 = gn_pac_script ("::1", 3000, NULL);
  g_auto(GStrv) answers = evaluate (script, pairs);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *request = NULL;

  g_assert_cmpstr (answers[0], ==, "PROXY 127.0.0.1:3000; DIRECT");
  g_assert_cmpstr (answers[1], ==, "DIRECT");
  g_assert_cmpstr (answers[2], ==, "DIRECT");
  g_assert_nonnull (strstr (v6, "\"PROXY [::1]:3000; DIRECT\""));

  g_free (config->bind_address);
  config->bind_address = g_strdup ("0.0.0.0");
  config->allow_non_loopback = TRUE;
  config->port = 0;
  engine = gn_test_engine_new (config, NULL);
  request = g_strdup_printf ("GET /proxy.pac HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n",
                             gn_engine_get_port (engine));
  reply = gn_test_exchange (gn_engine_get_port (engine), request);
  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  g_assert_nonnull (strstr (reply, "\"PROXY 127.0.0.1:"));
  g_assert_null (strstr (reply, "0.0.0.0"));
  gn_engine_stop (engine);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pac/served", test_served);
  g_test_add_func ("/pac/defaults", test_defaults);

  return g_test_run ();
}
