/* test-blocklist-e2e.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The blocklist path end to end: a GnBlocklistManager downloads a hosts list
 * from a local SoupServer, its "blocklist-changed" hands the new set to a
 * running GnEngine (gn_engine_set_blocklist()), and real curl through the
 * proxy (curl -p -x for a CONNECT tunnel, curl -x for plain HTTP) gets 403
 * for a listed domain's subdomain, with the list and the rule on the block
 * page. Then a user allowlist entry is swapped in while the engine runs, and
 * the same request is no longer refused by us. Readers on several threads
 * look names up while new sets are swapped in. Last, an address listed in
 * one spelling is refused in every other spelling a client may choose, for
 * plain HTTP and CONNECT alike, with nothing reaching the origin.
 */

#include <string.h>

#include <libsoup/soup.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-manager.h"
#include "test-utils.h"

static void
serve_list (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  const char *list = "# e2e list\n0.0.0.0 listed.example\n0.0.0.0 other.example\n";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, list, strlen (list));
}

static void
on_changed (GnBlocklistManager *mgr,
            GnBlocklist        *list,
            gpointer            user_data)
{
  GnEngine *engine = user_data;

  gn_engine_set_blocklist (engine, list);
}

static void
on_refreshed (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **summary = user_data;

  *summary = gn_blocklist_manager_refresh_finish (GN_BLOCKLIST_MANAGER (object), result, NULL);
}

static gboolean
engine_has_rule (gpointer data)
{
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (data);

  return gn_blocklist_lookup (list, "listed.example", NULL) == GN_MATCH_BLOCK;
}

static gboolean
engine_allows (gpointer data)
{
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (data);

  return gn_blocklist_lookup (list, "listed.example", NULL) == GN_MATCH_ALLOW;
}

static char *
curl_connect_code (const char *proxy,
                   const char *url)
{
  g_autoptr(GBytes) out = NULL;

  /* a refused CONNECT makes curl fail (exit 56); %{http_connect} is the
   * proxy's answer to the CONNECT */
  gn_test_curl (&out, "-p", "-x", proxy, "-o", "/dev/null", "-w", "%{http_connect}",
                "--max-time", "10", url, NULL);
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static void
test_manager_to_proxy (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gn-e2e-XXXXXX", &error);
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", tmp);
  g_autofree char *list_url = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *code = NULL;
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GnBlocklistManager) mgr = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *page = NULL;
  GListModel *sources;

  g_assert_no_error (error);

  soup_server_add_handler (server, "/list", serve_list, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  list_url = g_strdup_printf ("http://127.0.0.1:%d/list", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  config->port = 0;
  engine = gn_engine_new (config);
  g_assert_true (gn_engine_start (engine, &error));
  g_assert_no_error (error);
  proxy = gn_test_proxy_url (gn_engine_get_port (engine));

  /* before any list: not refused by us */
  code = curl_connect_code (proxy, "https://www.listed.example/");
  g_assert_cmpstr (code, !=, "403");
  g_clear_pointer (&code, g_free);

  mgr = gn_blocklist_manager_new (tmp, tmp);
  g_object_set (mgr, "download-missing", FALSE, NULL);  /* never the real lists */
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed), engine);
  g_assert_true (gn_blocklist_manager_load (mgr, &error));
  sources = gn_blocklist_manager_get_sources (mgr);
  while (g_list_model_get_n_items (sources) > 0)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, 0);

      gn_blocklist_manager_remove_source (mgr, s);
    }
  gn_blocklist_manager_add_source (mgr, "E2E threats", list_url, GN_BLOCKLIST_FORMAT_AUTO);
  gn_blocklist_manager_refresh_async (mgr, NULL, NULL, on_refreshed, &summary);
  g_assert_true (gn_test_wait_until (engine_has_rule, engine, 10000));
  while (summary == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (summary, ==, "1 list updated");

  /* CONNECT to a subdomain of a listed name: 403 */
  code = curl_connect_code (proxy, "https://www.listed.example/");
  g_assert_cmpstr (code, ==, "403");
  g_clear_pointer (&code, g_free);

  /* plain HTTP: the block page names the list and the rule */
  g_assert_cmpint (gn_test_curl (&out, "-x", proxy, "-w", "\n%{http_code}",
                                 "http://cdn.www.listed.example/x", NULL), ==, 0);
  page = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_true (g_str_has_suffix (page, "\n403"));
  g_assert_nonnull (strstr (page, "E2E threats"));
  g_assert_nonnull (strstr (page, "listed.example"));

  /* the user allows it: a new set is swapped into the running engine */
  g_assert_true (gn_blocklist_manager_add_user_rule (mgr, GN_MATCH_ALLOW, "listed.example", &error));
  g_assert_true (gn_test_wait_until (engine_allows, engine, 10000));
  code = curl_connect_code (proxy, "https://www.listed.example/");
  g_assert_cmpstr (code, !=, "403");
  g_clear_pointer (&code, g_free);
  /* the other listed name is still refused */
  code = curl_connect_code (proxy, "https://other.example/");
  g_assert_cmpstr (code, ==, "403");

  gn_engine_stop (engine);
  g_signal_handlers_disconnect_by_data (mgr, engine);
  soup_server_disconnect (server);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
}

/* Readers on several threads take the engine's current set and look names
 * up while the main thread builds and swaps in new sets: every reader must
 * see a whole list (both names of one generation, never one without the
 * other), and under AddressSanitizer no set may be used after it is freed. */
typedef struct
{
  GnEngine      *engine;
  gint           stop;     /* atomic */
  gint           torn;     /* atomic */
} Readers;

static gpointer
reader_thread (gpointer data)
{
  Readers *r = data;
  gsize n = 0;

  while (!g_atomic_int_get (&r->stop))
    {
      g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (r->engine);
      GnMatch a, b;
      GnMatchKind ka = gn_blocklist_lookup (list, "www.first.example", &a);
      GnMatchKind kb = gn_blocklist_lookup (list, "www.second.example", &b);

      /* an empty start list has neither; any built list has both, from the
       * same generation */
      if (ka != kb || (ka == GN_MATCH_BLOCK && g_strcmp0 (a.list_name, b.list_name) != 0))
        g_atomic_int_inc (&r->torn);
      n += 2;
    }

  return GSIZE_TO_POINTER (n);
}

static void
test_swap_under_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  Readers r = { 0 };
  GThread *threads[3];
  gsize lookups = 0;

  config->port = 0;
  engine = gn_engine_new (config);
  g_assert_true (gn_engine_start (engine, &error));
  r.engine = engine;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("reader", reader_thread, &r);

  for (guint gen = 0; gen < 100; gen++)
    {
      g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
      g_autoptr(GnBlocklist) list = NULL;
      g_autofree char *name = g_strdup_printf ("generation %u", gen);
      g_autoptr(GString) text = g_string_new ("0.0.0.0 first.example\n");

      for (guint i = 0; i < 2000; i++)
        g_string_append_printf (text, "0.0.0.0 filler%u.gen%u.example\n", i, gen);
      g_string_append (text, "0.0.0.0 second.example\n");
      g_assert_true (gn_blocklist_builder_add_data (builder, name, text->str, text->len,
                                                    GN_BLOCKLIST_FORMAT_AUTO, NULL, &error));
      list = gn_blocklist_builder_end (g_steal_pointer (&builder));
      gn_engine_set_blocklist (engine, list);
    }

  g_atomic_int_set (&r.stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    lookups += GPOINTER_TO_SIZE (g_thread_join (threads[i]));

  g_test_message ("%" G_GSIZE_FORMAT " lookups during 100 swaps", lookups);
  g_assert_cmpuint (lookups, >, 0);
  g_assert_cmpint (g_atomic_int_get (&r.torn), ==, 0);
  gn_engine_stop (engine);
}

/* ---- rebuilds while requests flow ---------------------------------------- */

#define RELOAD_NAMES 120000

static void
serve_big_list (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  GString *list = g_string_new ("# reload list\n0.0.0.0 listed.example\n");

  /* big enough for the parser's two-thread path (gn-blocklist-parser.c) */
  for (guint i = 0; i < RELOAD_NAMES; i++)
    g_string_append_printf (list, "0.0.0.0 name%u.reload.example\n", i);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, list->str, list->len);
  g_string_free (list, FALSE);
}

typedef struct
{
  guint16 proxy_port;
  guint16 origin_port;
  gint    stop;
  gint    served;
  gint    failed;
  char   *first_failure;  /* (owned) (nullable) set by the client thread */
} Load;

static gpointer
load_thread (gpointer data)
{
  Load *load = data;
  g_autofree char *request =
    g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Connection: close\r\n\r\n", load->origin_port, load->origin_port);

  while (!g_atomic_int_get (&load->stop))
    {
      g_autofree char *answer = gn_test_exchange (load->proxy_port, request);

      if (answer != NULL && gn_test_status (answer) == 200 && g_str_has_suffix (answer, "\r\n\r\nhello world"))
        g_atomic_int_inc (&load->served);
      else
        {
          if (g_atomic_int_add (&load->failed, 1) == 0)
            load->first_failure = g_strdup (answer != NULL ? answer : "(nothing)");
        }
    }
  return NULL;
}

typedef struct
{
  GnEngine *engine;
  char     *host;
} BlocksHost;

static gboolean
engine_blocks_host (gpointer data)
{
  BlocksHost *b = data;
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (b->engine);

  return gn_blocklist_lookup (list, b->host, NULL) == GN_MATCH_BLOCK;
}

/* The manager rebuilds (parse, compiled file saved and mapped, swapped
 * into the engine) five times while a client sends plain-HTTP requests
 * through the proxy without a pause: every request is answered by the
 * origin, and each new set takes effect. */
static void
test_reload_under_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gn-e2e-XXXXXX", &error);
  g_autofree char *list_url = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GnBlocklistManager) mgr = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GSList) uris = NULL;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GListModel *sources;
  GThread *client;
  Load load = { 0 };
  BlocksHost listed = { 0 };

  g_assert_no_error (error);
  soup_server_add_handler (server, "/list", serve_big_list, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  list_url = g_strdup_printf ("http://127.0.0.1:%d/list", g_uri_get_port (uris->data));

  config->port = 0;
  engine = gn_engine_new (config);
  g_assert_true (gn_engine_start (engine, &error));
  g_assert_no_error (error);

  mgr = gn_blocklist_manager_new (tmp, tmp);
  g_object_set (mgr, "download-missing", FALSE, NULL);  /* never the real lists */
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed), engine);
  g_assert_true (gn_blocklist_manager_load (mgr, &error));
  sources = gn_blocklist_manager_get_sources (mgr);
  while (g_list_model_get_n_items (sources) > 0)
    {
      g_autoptr(GnBlocklistSource) src = g_list_model_get_item (sources, 0);

      gn_blocklist_manager_remove_source (mgr, src);
    }
  gn_blocklist_manager_add_source (mgr, "Reload test", list_url, GN_BLOCKLIST_FORMAT_AUTO);

  load.proxy_port = gn_engine_get_port (engine);
  load.origin_port = gn_test_origin_get_port (origin);
  client = g_thread_new ("client", load_thread, &load);

  /* the first build from the downloaded list, then five rebuilds */
  gn_blocklist_manager_refresh_async (mgr, NULL, NULL, on_refreshed, &summary);
  listed.engine = engine;
  listed.host = g_strdup_printf ("name%u.reload.example", RELOAD_NAMES - 1);
  g_assert_true (gn_test_wait_until (engine_blocks_host, &listed, 60000));
  while (summary == NULL)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 5; i++)
    {
      BlocksHost user = { engine, g_strdup_printf ("user%u.example", i) };

      g_assert_true (gn_blocklist_manager_add_user_rule (mgr, GN_MATCH_BLOCK, user.host, &error));
      g_assert_no_error (error);
      g_assert_true (gn_test_wait_until (engine_blocks_host, &user, 60000));
      /* the list's names are all still there */
      g_assert_true (engine_blocks_host (&listed));
      g_free (user.host);
    }

  g_atomic_int_set (&load.stop, 1);
  g_thread_join (client);
  g_test_message ("%d requests answered during 6 builds", g_atomic_int_get (&load.served));
  g_assert_cmpstr (load.first_failure, ==, NULL);
  g_assert_cmpint (g_atomic_int_get (&load.failed), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&load.served), >, 0);

  gn_engine_stop (engine);
  g_signal_handlers_disconnect_by_data (mgr, engine);
  g_clear_object (&mgr);
  soup_server_disconnect (server);
  gn_test_origin_free (origin);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  g_free (listed.host);
  gn_test_remove_tree (tmp);
}

/* ---- addresses in every spelling ------------------------------------------ */

/* Every way to write 127.0.0.1 in a URL or CONNECT line that some client,
 * resolver or operating system takes to mean it. */
static const char * const loopback_spellings[] = {
  "127.0.0.1",
  "127.0.0.1.",
  "[::ffff:127.0.0.1]",
  "[::ffff:7f00:1]",
  "[0:0:0:0:0:ffff:7f00:1]",
  "[::FFFF:7F00:0001]",
  "[0000:0000:0000:0000:0000:ffff:7f00:0001]",
  "[0000:0000:0000:0000:0000:FFFF:127.0.0.1]",
  "[::127.0.0.1]",         /* IPv4-compatible */
  "[::7f00:1]",
  "[64:ff9b::7f00:1]",     /* NAT64 well-known prefix */
  "[64:ff9b::127.0.0.1]",
  "2130706433",
  "0x7f000001",
  "0X7F000001",
  "0177.0.0.1",
  "0x7f.0.0.1",
  "127.1",
  "127.0.1",
  "0x7f.1",
};

typedef struct
{
  GnTestOrigin *origin;
  GnEngine     *engine;
  guint16       port;   /* the origin's */
} AddressFixture;

/* A list with only @rule (domains format, written as given). */
static GnBlocklist *
list_with_rule (const char *rule)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (rule, "\n", NULL);

  g_assert_true (gn_blocklist_builder_add_data (builder, "Addresses", text, strlen (text),
                                                GN_BLOCKLIST_FORMAT_DOMAINS, NULL, &error));
  g_assert_no_error (error);
  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, 1);
  return g_steal_pointer (&list);
}

/* @data is the one rule listed. The list is in place before the engine
 * starts: a list swapped into a running engine reaches its workers a
 * moment later. */
static void
address_fixture_set_up (AddressFixture *f,
                        gconstpointer   data)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnBlocklist) list = list_with_rule (data);
  g_autoptr(GError) error = NULL;

  f->origin = gn_test_origin_new (FALSE);
  f->port = gn_test_origin_get_port (f->origin);
  config->port = 0;
  f->engine = gn_engine_new (config);
  gn_engine_set_blocklist (f->engine, list);
  g_assert_true (gn_engine_start (f->engine, &error));
  g_assert_no_error (error);
}

static void
address_fixture_tear_down (AddressFixture *f,
                           gconstpointer   data)
{
  gn_engine_stop (f->engine);
  g_clear_object (&f->engine);
  g_clear_pointer (&f->origin, gn_test_origin_free);
}

static guint
get_status (AddressFixture *f,
            const char     *host)
{
  g_autofree char *request = g_strdup_printf ("GET http://%s:%u/hello HTTP/1.1\r\n"
                                              "Host: %s:%u\r\nConnection: close\r\n\r\n",
                                              host, f->port, host, f->port);
  g_autofree char *reply = gn_test_exchange (gn_engine_get_port (f->engine), request);

  g_test_message ("GET %s -> %.12s", host, reply);
  return gn_test_status (reply);
}

static guint
connect_status (AddressFixture *f,
                const char     *host)
{
  g_autofree char *request = g_strdup_printf ("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                                              host, f->port, host, f->port);
  g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", gn_engine_get_port (f->engine));
  g_autofree char *head = NULL;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_test_message ("CONNECT %s -> %.12s", host, head);
  return gn_test_status (head);
}

/* With 127.0.0.1 listed, every spelling of it gets 403, for a plain-HTTP
 * request and a CONNECT alike, and the origin sees no request at all. */
static void
test_address_spellings_blocked (AddressFixture *f,
                                gconstpointer   data)
{
  for (guint i = 0; i < G_N_ELEMENTS (loopback_spellings); i++)
    {
      g_assert_cmpuint (get_status (f, loopback_spellings[i]), ==, 403);
      g_assert_cmpuint (connect_status (f, loopback_spellings[i]), ==, 403);
    }
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);

  /* a zone id names no remote host: refused before any decision */
  g_assert_cmpuint (get_status (f, "[::ffff:7f00:1%25lo]"), ==, 400);
  g_assert_cmpuint (connect_status (f, "[::ffff:7f00:1%lo]"), ==, 400);
  /* nor does the unspecified address, which Linux connects to this machine */
  g_assert_cmpuint (get_status (f, "0.0.0.0"), ==, 400);
  g_assert_cmpuint (get_status (f, "0"), ==, 400);
  g_assert_cmpuint (connect_status (f, "[::]"), ==, 400);
  g_assert_cmpuint (connect_status (f, "[::ffff:0.0.0.0]"), ==, 400);
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);
}

/* Listed as an IPv4-mapped IPv6 address, 127.0.0.1 is blocked as such. */
static void
test_address_rule_mapped (AddressFixture *f,
                          gconstpointer   data)
{
  g_assert_cmpuint (get_status (f, "127.0.0.1"), ==, 403);
  g_assert_cmpuint (connect_status (f, "127.0.0.1"), ==, 403);
  g_assert_cmpuint (get_status (f, "0x7f.1"), ==, 403);
  g_assert_cmpuint (connect_status (f, "[::ffff:7f00:1]"), ==, 403);
  g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, 0);
}

/* With another address listed, each spelling reaches the origin: the
 * canonical address is what the proxy connects to, and the 403s above are
 * the rule's doing, not a failure to connect. */
static void
test_address_spellings_connect (AddressFixture *f,
                                gconstpointer   data)
{
  for (guint i = 0; i < G_N_ELEMENTS (loopback_spellings); i++)
    {
      guint before = gn_test_origin_get_n_requests (f->origin);

      g_assert_cmpuint (get_status (f, loopback_spellings[i]), ==, 200);
      g_assert_cmpuint (gn_test_origin_get_n_requests (f->origin), ==, before + 1);
      g_assert_cmpuint (connect_status (f, loopback_spellings[i]), ==, 200);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blocklist-e2e/manager-to-proxy", test_manager_to_proxy);
  g_test_add_func ("/blocklist-e2e/swap-under-load", test_swap_under_load);
  g_test_add_func ("/blocklist-e2e/reload-under-load", test_reload_under_load);
  g_test_add ("/blocklist-e2e/address/spellings-blocked", AddressFixture, "127.0.0.1",
              address_fixture_set_up, test_address_spellings_blocked, address_fixture_tear_down);
  g_test_add ("/blocklist-e2e/address/mapped-rule", AddressFixture, "::ffff:127.0.0.1",
              address_fixture_set_up, test_address_rule_mapped, address_fixture_tear_down);
  g_test_add ("/blocklist-e2e/address/spellings-connect", AddressFixture, "203.0.113.7",
              address_fixture_set_up, test_address_spellings_connect, address_fixture_tear_down);
  return g_test_run ();
}
