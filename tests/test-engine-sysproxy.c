/* test-engine-sysproxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's own outgoing connections never use the OS proxy. Once
 * protection is on, the OS proxy *is* the engine: an engine that honoured it
 * would send every request back to itself.
 *
 * This test runs with the real proxy resolver (it removes the suite-wide
 * GIO_USE_PROXY_RESOLVER=dummy before GIO loads one) and points the system
 * proxy of this process (http_proxy / https_proxy, read by GIO's libproxy
 * resolver) at the engine, checks that GIO really resolves to the engine,
 * then proves requests through the engine reach the origin directly.
 */

#include <string.h>

#include "test-utils.h"

static void
test_ignores_system_proxy (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GnEngine) engine = gn_test_engine_new (NULL, NULL);
  g_autofree char *proxy = gn_test_proxy_url (gn_engine_get_port (engine));
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));
  g_autofree char *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n"
                                              "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                              gn_test_origin_get_port (origin));
  g_autofree char *get = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", url);
  g_auto(GStrv) proxies = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tunnelled = NULL;
  g_autofree char *forwarded = NULL;

  /* The system proxy of this process is now the engine… */
  g_setenv ("http_proxy", proxy, TRUE);
  g_setenv ("https_proxy", proxy, TRUE);
  g_setenv ("no_proxy", "", TRUE);
  proxies = g_proxy_resolver_lookup (g_proxy_resolver_get_default (), url, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (proxies);
  g_test_message ("GIO resolves %s to %s", url, proxies[0]);
  g_assert_true (g_str_has_prefix (proxies[0], proxy));

  /* …and still the engine connects straight to the origin: the answers are
   * the origin's, not the engine's own loop refusal (508) or status page. */
  forwarded = gn_test_exchange (gn_engine_get_port (engine), get);
  g_assert_cmpuint (gn_test_status (forwarded), ==, 200);
  g_assert_true (g_str_has_suffix (forwarded, "hello world"));
  tunnelled = gn_test_exchange (gn_engine_get_port (engine), connect);
  g_assert_true (g_str_has_prefix (tunnelled, "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200"));
  g_assert_true (g_str_has_suffix (tunnelled, "hello world"));
  g_assert_cmpuint (gn_test_origin_get_n_requests (origin), ==, 2);

  gn_engine_stop (engine);
  gn_test_origin_free (origin);
}

int
main (int argc, char *argv[])
{
  /* Before anything loads GIO's proxy resolver. */
  g_unsetenv ("GIO_USE_PROXY_RESOLVER");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/system-proxy-ignored", test_ignores_system_proxy);
  return g_test_run ();
}
