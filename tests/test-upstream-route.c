/* test-upstream-route.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * With a company proxy as the way out, what still goes direct: loopback,
 * private and link-local addresses, names the hosts file maps to them, and
 * the system's bypass list — the decision itself (GnLocalNames on a real
 * hosts file, gn_origin_connector_uses_upstream() on a real listener
 * context), and through the running proxy with an upstream that refuses
 * everything: what went to it fails naming it, what went direct fails on
 * its own (the test names do not resolve here), never through the proxy.
 */

#include <string.h>

#include "gn-listener-context.h"
#include "gn-local-names.h"
#include "gn-origin-connector.h"
#include "test-utils.h"

static const char hosts[] =
  "# a hosts file as users write them\n"
  "127.0.0.1\tlocalhost\n"
  "192.168.1.10  nas nas.home   # the NAS\n"
  "10.0.0.5 wiki.corp\n"
  "127.0.0.1 dev.test\n"
  "fd00::7 printer.lan\n"
  "8.8.8.8 public.test\n"
  "0.0.0.0 ads.example\n"
  "# 10.0.0.1 commented.test\n";

static void
test_local_names (void)
{
  g_autofree char *path = gn_test_write_list (hosts);
  g_autoptr(GnLocalNames) names = gn_local_names_new (path);
  const char *local[] = { "nas", "nas.home", "wiki.corp", "dev.test", "printer.lan", NULL };
  const char *not_local[] = { "public.test", "ads.example", "commented.test", "example.com", NULL };

  for (guint i = 0; local[i] != NULL; i++)
    g_assert_true (gn_local_names_is_local (names, local[i]));
  for (guint i = 0; not_local[i] != NULL; i++)
    g_assert_false (gn_local_names_is_local (names, not_local[i]));

  /* An edited file is read again (checked at most every two seconds). */
  g_assert_true (g_file_set_contents (path, "172.16.0.9 new.lan\n", -1, NULL));
  g_usleep (2100 * 1000);
  g_assert_true (gn_local_names_is_local (names, "new.lan"));
  g_assert_false (gn_local_names_is_local (names, "nas"));
  gn_test_remove_file (path);
}

static void
test_decision (void)
{
  const char *bypass[] = { "*.corp.example", "<local>", "10.0.0.0/8", NULL };
  g_autofree char *path = gn_test_write_list (hosts);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngineConfig) direct = gn_engine_config_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GnListenerContext *context;
  GnListenerContext *no_upstream;
  const struct { const char *host; gboolean upstream; } cases[] = {
    { "example.com", TRUE },
    { "8.8.8.8", TRUE },
    { "public.test", TRUE },            /* the hosts file, but a public address */
    { "wiki.corp.example", FALSE },     /* bypass: *.corp.example */
    { "intranet", FALSE },              /* bypass: <local> */
    { "10.1.2.3", FALSE },              /* bypass and private */
    { "192.168.0.1", FALSE },           /* private */
    { "172.20.0.1", FALSE },
    { "169.254.1.1", FALSE },           /* link-local */
    { "fd00::1", FALSE },               /* unique local IPv6 */
    { "fe80::1", FALSE },
    { "nas.home", FALSE },              /* the hosts file: 192.168.1.10 */
    { "dev.test", FALSE },              /* the hosts file: 127.0.0.1 */
    { "127.0.0.1", FALSE },             /* loopback, the upstream is not */
    { "localhost", FALSE },
  };

  g_setenv ("GN_HOSTS_FILE", path, TRUE);
  config->upstream_host = g_strdup ("proxy.corp.example");
  config->upstream_port = 3128;
  config->pac_bypass = g_strdupv ((char **) bypass);
  context = gn_listener_context_new (config, NULL, loopback, 3000, 100);
  no_upstream = gn_listener_context_new (direct, NULL, loopback, 3000, 100);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].host);
      g_assert_cmpint (gn_origin_connector_uses_upstream (context, cases[i].host), ==, cases[i].upstream);
      g_assert_false (gn_origin_connector_uses_upstream (no_upstream, cases[i].host));
    }
  gn_listener_context_unref (context);
  gn_listener_context_unref (no_upstream);
  g_unsetenv ("GN_HOSTS_FILE");
  gn_test_remove_file (path);
}

/* Through the proxy, with an upstream that refuses: example.com goes to it
 * (a 502 naming it), a name the hosts file keeps local goes direct (a 502
 * that says the name was not found, nothing about the upstream). */
static void
test_through_proxy (void)
{
  g_autofree char *path = gn_test_write_list (hosts);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GSocket) refusing = NULL;
  g_autoptr(GnEngine) engine = NULL;
  g_autofree char *upstream_answer = NULL;
  g_autofree char *direct_answer = NULL;
  guint16 upstream_port = 0;
  guint16 port;

  g_setenv ("GN_HOSTS_FILE", path, TRUE);
  refusing = gn_test_refusing_port_new (&upstream_port);
  config->port = 0;
  config->upstream_host = g_strdup ("127.0.0.1");
  config->upstream_port = upstream_port;
  config->connect_timeout_ms = 3000;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);

  upstream_answer = gn_test_exchange (port, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
                                            "Connection: close\r\n\r\n");
  direct_answer = gn_test_exchange (port, "GET http://dev.test/ HTTP/1.1\r\nHost: dev.test\r\n"
                                          "Connection: close\r\n\r\n");
  g_test_message ("via the upstream: %s", upstream_answer);
  g_test_message ("direct: %s", direct_answer);
  g_assert_cmpuint (gn_test_status (upstream_answer), ==, 502);
  g_assert_nonnull (strstr (upstream_answer, "through your proxy 127.0.0.1"));
  g_assert_cmpuint (gn_test_status (direct_answer), ==, 502);
  g_assert_nonnull (strstr (direct_answer, "Could not find the server dev.test"));
  g_assert_null (strstr (direct_answer, "your proxy"));

  gn_engine_stop (engine);
  g_unsetenv ("GN_HOSTS_FILE");
  gn_test_remove_file (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/upstream-route/local-names", test_local_names);
  g_test_add_func ("/upstream-route/decision", test_decision);
  g_test_add_func ("/upstream-route/through-proxy", test_through_proxy);
  return g_test_run ();
}
