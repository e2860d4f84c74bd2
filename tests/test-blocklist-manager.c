/* test-blocklist-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Subscriptions end to end: a real SoupServer on 127.0.0.1:0 serves a good
 * list, 304s, a 500, a stalled answer, an empty 200, a truncated list, binary
 * garbage, an HTML page and lists ten times the size cap. After every failure
 * the previous list must still be active, its cached file untouched, and the
 * source's last-error must say why. Also: cache survives a restart without
 * network, user rules apply at once and persist, defaults, broken settings,
 * one debounced settings write per refresh (and none lost at dispose), and
 * the manager's timers on the context of the thread that created it.
 */

#include <json-glib/json-glib.h>

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "blocklist-helpers.h"
#include "gn-blocklist-manager.h"
#include "gn-blocklist-manager-private.h"
#include "gn-blocklist-parser.h"
#include "gn-engine.h"
#include "gn-error.h"
#include "test-utils.h"

#define GOOD_ENTRIES 200

typedef struct
{
  char               *tmp;
  char               *config_dir;
  char               *cache_dir;
  SoupServer         *server;
  char               *url;
  const char         *mode;
  char               *last_if_none_match;
  char               *last_if_modified_since;
  char               *last_via;
  guint               requests;
  GPtrArray          *paused;         /* SoupServerMessage held open */
  GnBlocklistManager *mgr;
  guint               changes;
} Fixture;

static guint fd_baseline;

static guint
count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static GString *
make_list (guint n, const char *extra)
{
  GString *s = g_string_new ("# Test list\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "0.0.0.0 host%u.good.test\n", i);
  g_string_append (s, extra);
  return s;
}

static void
serve (SoupServer        *server,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *query,
       gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *mode = f->mode;

  f->requests++;
  g_free (f->last_if_none_match);
  f->last_if_none_match = g_strdup (soup_message_headers_get_one (req, "If-None-Match"));
  g_free (f->last_if_modified_since);
  f->last_if_modified_since = g_strdup (soup_message_headers_get_one (req, "If-Modified-Since"));
  g_free (f->last_via);
  f->last_via = g_strdup (soup_message_headers_get_one (req, "Via"));

  if (g_str_equal (mode, "lastmod"))
    {
      const char *date = "Sun, 22 Nov 2026 06:00:00 GMT";
      g_autoptr(GString) body = NULL;

      if (g_strcmp0 (f->last_if_modified_since, date) == 0)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
          return;
        }
      body = make_list (GOOD_ENTRIES, "0.0.0.0 listed.example\n");
      soup_message_headers_replace (resp, "Last-Modified", date);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body->str, body->len);
    }
  else if (g_str_equal (mode, "good") || g_str_equal (mode, "good2"))
    {
      gboolean v2 = g_str_equal (mode, "good2");
      const char *etag = v2 ? "\"v2\"" : "\"v1\"";
      g_autoptr(GString) body = NULL;

      if (g_strcmp0 (f->last_if_none_match, etag) == 0)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
          return;
        }
      body = make_list (v2 ? GOOD_ENTRIES + 20 : GOOD_ENTRIES,
                        v2 ? "0.0.0.0 listed.example\n0.0.0.0 new.example\n" : "0.0.0.0 listed.example\n");
      soup_message_headers_replace (resp, "ETag", etag);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body->str, body->len);
    }
  else if (g_str_equal (mode, "500"))
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
  else if (g_str_equal (mode, "timeout"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (f->paused, g_object_ref (msg));
    }
  else if (g_str_equal (mode, "empty"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
    }
  else if (g_str_equal (mode, "truncated"))
    {
      g_autoptr(GString) body = make_list (GOOD_ENTRIES / 10, "");

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body->str, body->len);
    }
  else if (g_str_equal (mode, "garbage"))
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (3);
      char junk[8192];

      for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = (char) g_rand_int_range (rand, 0, 256);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        junk, sizeof junk);
    }
  else if (g_str_equal (mode, "html"))
    {
      const char *page = "<html>\n<body>\n<h1>Please log in to the Wi-Fi</h1>\n</body>\n</html>\n";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, strlen (page));
    }
  else if (g_str_equal (mode, "huge") || g_str_equal (mode, "huge-chunked"))
    {
      /* ten times the 64 KiB cap set by the tests, and valid otherwise */
      g_autoptr(GString) body = make_list (640 * 1024 / 26, "");

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      if (g_str_equal (mode, "huge-chunked"))
        soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body->str, body->len);
    }
  else
    g_assert_not_reached ();
}

static void
on_changed (GnBlocklistManager *mgr,
            GnBlocklist        *list,
            gpointer            user_data)
{
  Fixture *f = user_data;

  g_assert_true (list == gn_blocklist_manager_get_blocklist (mgr));
  f->changes++;
}

static GnBlocklistManager *
new_manager (Fixture *f)
{
  GnBlocklistManager *mgr = gn_blocklist_manager_new (f->config_dir, f->cache_dir);

  /* The defaults at setup must never reach the real lists. */
  g_object_set (mgr, "download-missing", FALSE, NULL);
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed), f);
  return mgr;
}

static void
wait_for_change (Fixture *f,
                 guint    before)
{
  while (f->changes == before)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_refreshed (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **summary = user_data;
  g_autoptr(GError) error = NULL;

  *summary = gn_blocklist_manager_refresh_finish (GN_BLOCKLIST_MANAGER (object), result, &error);
  g_assert_no_error (error);
}

static char *
refresh (Fixture *f)
{
  char *summary = NULL;

  gn_blocklist_manager_refresh_async (f->mgr, NULL, NULL, on_refreshed, &summary);
  while (summary == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("refresh: %s", summary);
  return summary;
}

static GnBlocklistSource *
only_source (Fixture *f)
{
  GListModel *sources = gn_blocklist_manager_get_sources (f->mgr);
  g_autoptr(GnBlocklistSource) s = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (sources), ==, 1);
  s = g_list_model_get_item (sources, 0);
  return s;  /* the model keeps it alive */
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  GListModel *sources;
  guint before;

  f->tmp = g_dir_make_tmp ("gn-manager-XXXXXX", &error);
  g_assert_no_error (error);
  f->config_dir = g_build_filename (f->tmp, "config", NULL);
  f->cache_dir = g_build_filename (f->tmp, "cache", "lists", NULL);
  f->paused = g_ptr_array_new_with_free_func (g_object_unref);
  f->mode = "good";

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, "/list", serve, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->url = g_strdup_printf ("http://127.0.0.1:%d/list", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  /* start from the defaults, then replace them with the local test list:
   * tests never reach the real lists */
  f->mgr = new_manager (f);
  before = f->changes;
  g_assert_true (gn_blocklist_manager_load (f->mgr, &error));
  g_assert_no_error (error);
  wait_for_change (f, before);
  sources = gn_blocklist_manager_get_sources (f->mgr);
  while (g_list_model_get_n_items (sources) > 0)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, 0);

      gn_blocklist_manager_remove_source (f->mgr, s);
    }
  gn_blocklist_manager_add_source (f->mgr, "Test list", f->url, GN_BLOCKLIST_FORMAT_AUTO);
  g_object_set (f->mgr, "max-list-bytes", (guint64) 64 * 1024, "timeout", 1, NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmp);
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", f->tmp);

  if (f->mgr != NULL)
    gn_test_finalize_and_wait (f->mgr);
  for (guint i = 0; i < f->paused->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (f->paused, i);

      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (msg);
    }
  g_ptr_array_unref (f->paused);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (f->server != NULL)
    {
      soup_server_disconnect (f->server);
      g_assert_finalize_object (f->server);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* GLib and libsoup open a few process-wide fds on first use (worker
   * wakeups, the resolver); after the first test the count must not move */
  if (fd_baseline == 0)
    fd_baseline = count_fds ();
  g_assert_cmpuint (count_fds (), ==, fd_baseline);

  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  g_free (f->tmp);
  g_free (f->config_dir);
  g_free (f->cache_dir);
  g_free (f->url);
  g_free (f->last_if_none_match);
  g_free (f->last_if_modified_since);
  g_free (f->last_via);
}

static char *
cached_copy (Fixture *f)
{
  g_autofree char *path = NULL;
  char *contents = NULL;
  GnBlocklistSource *s = only_source (f);
  g_autofree char *file = g_strdup_printf ("%s.txt", gn_blocklist_source_get_id (s));

  path = g_build_filename (f->cache_dir, file, NULL);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static void
good_download (Fixture *f)
{
  g_autofree char *summary = refresh (f);
  GnBlocklistSource *s = only_source (f);
  GnMatch match;

  g_assert_cmpstr (summary, ==, "1 list updated");
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);
  g_assert_null (gn_blocklist_source_get_last_error (s));
  g_assert_cmpint (gn_blocklist_source_get_last_success (s), >, 0);
  g_assert_cmpstr (gn_blocklist_source_get_etag (s), ==, "\"v1\"");
  g_assert_false (gn_blocklist_source_get_updating (s));
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "www.listed.example", &match), ==, GN_MATCH_BLOCK);
  g_assert_cmpstr (match.list_name, ==, "Test list");
  g_assert_cmpstr (match.rule, ==, "listed.example");
}

static void
test_good_and_progress (Fixture       *f,
                        gconstpointer  data)
{
  GnBlocklistSource *s = only_source (f);
  g_autofree char *cached = NULL;

  good_download (f);
  cached = cached_copy (f);
  /* progress reported the whole body, and size says the same */
  g_assert_cmpuint (gn_blocklist_source_get_bytes_received (s), ==, strlen (cached));
  g_assert_cmpuint (gn_blocklist_source_get_size (s), ==, strlen (cached));
  g_assert_nonnull (strstr (cached, "listed.example"));
}

static void
test_not_modified (Fixture       *f,
                   gconstpointer  data)
{
  GnBlocklistSource *s = only_source (f);
  g_autofree char *summary = NULL;
  guint before;

  good_download (f);
  summary = refresh (f);
  g_assert_cmpstr (f->last_if_none_match, ==, "\"v1\"");
  g_assert_cmpstr (summary, ==, "1 list already up to date");
  g_assert_null (gn_blocklist_source_get_last_error (s));
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);

  /* a new version replaces the old one */
  f->mode = "good2";
  before = f->changes;
  g_free (summary);
  summary = refresh (f);
  g_assert_cmpuint (f->changes, >, before);
  g_assert_cmpstr (summary, ==, "1 list updated");
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 22);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "new.example", NULL), ==, GN_MATCH_BLOCK);
}

typedef struct
{
  const char *mode;
  const char *why;   /* expected in last-error and the summary */
} Failure;

static const Failure failures[] = {
  { "500",          "HTTP 500" },
  { "timeout",      "Could not download the list" },
  { "empty",        "empty list" },
  { "truncated",    "fewer than the 201 before" },
  { "garbage",      "not a text blocklist" },
  { "html",         "does not look like" },
  { "huge",         "larger than the 65.5" },
  { "huge-chunked", "larger than the 65.5" },
};

static void
test_failure_keeps_previous (Fixture       *f,
                             gconstpointer  data)
{
  const Failure *fail = data;
  GnBlocklistSource *s = only_source (f);
  g_autofree char *before_copy = NULL;
  g_autofree char *after_copy = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(GnBlocklist) before_list = NULL;
  gint64 success;
  GnMatch match;

  good_download (f);
  before_copy = cached_copy (f);
  before_list = gn_blocklist_ref (gn_blocklist_manager_get_blocklist (f->mgr));
  success = gn_blocklist_source_get_last_success (s);
  gn_blocklist_source_set_last_attempt (s, 1);

  f->mode = fail->mode;
  summary = refresh (f);

  g_test_message ("last-error: %s", gn_blocklist_source_get_last_error (s));
  g_assert_nonnull (gn_blocklist_source_get_last_error (s));
  g_assert_nonnull (strstr (gn_blocklist_source_get_last_error (s), fail->why));
  g_assert_true (g_str_has_prefix (summary, "1 kept its previous version: Test list: "));
  g_assert_nonnull (strstr (summary, fail->why));
  g_assert_cmpint (gn_blocklist_source_get_last_attempt (s), >, 1);
  g_assert_cmpint (gn_blocklist_source_get_last_success (s), ==, success);
  g_assert_false (gn_blocklist_source_get_updating (s));

  /* the previous list is still the active one, and still on disk */
  g_assert_true (gn_blocklist_manager_get_blocklist (f->mgr) == before_list);
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "a.listed.example", &match), ==, GN_MATCH_BLOCK);
  after_copy = cached_copy (f);
  g_assert_cmpstr (after_copy, ==, before_copy);
}

static void
test_cache_survives_restart (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GnBlocklistSource *s;
  gint64 attempt;
  guint before;

  good_download (f);
  attempt = gn_blocklist_source_get_last_attempt (only_source (f));
  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));

  /* no server any more: whatever the new instance knows comes from disk */
  soup_server_disconnect (f->server);
  g_assert_finalize_object (g_steal_pointer (&f->server));

  f->mgr = new_manager (f);
  before = f->changes;
  g_assert_true (gn_blocklist_manager_load (f->mgr, &error));
  g_assert_no_error (error);
  wait_for_change (f, before);

  s = only_source (f);
  g_assert_cmpstr (gn_blocklist_source_get_name (s), ==, "Test list");
  g_assert_cmpstr (gn_blocklist_source_get_url (s), ==, f->url);
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);
  g_assert_cmpint (gn_blocklist_source_get_last_attempt (s), ==, attempt);
  g_assert_cmpstr (gn_blocklist_source_get_etag (s), ==, "\"v1\"");
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "x.listed.example", NULL), ==, GN_MATCH_BLOCK);
}

static void
test_user_rules (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GnMatch match;
  guint before;

  good_download (f);

  before = f->changes;
  g_assert_true (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_ALLOW, "Listed.Example.", &error));
  g_assert_no_error (error);
  wait_for_change (f, before);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "www.listed.example", &match), ==, GN_MATCH_ALLOW);
  g_assert_cmpstr (match.list_name, ==, "Your allowlist");

  before = f->changes;
  g_assert_true (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "bücher.test", &error));
  wait_for_change (f, before);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "shop.xn--bcher-kva.test", &match), ==, GN_MATCH_BLOCK);
  g_assert_cmpstr (match.list_name, ==, "Your blocklist");

  g_assert_false (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "not a domain", &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "com", &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* saved: a new instance has both */
  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  f->mgr = new_manager (f);
  before = f->changes;
  g_assert_true (gn_blocklist_manager_load (f->mgr, NULL));
  wait_for_change (f, before);
  g_assert_cmpstr (gn_blocklist_manager_get_user_rules (f->mgr, GN_MATCH_ALLOW)[0], ==, "listed.example");
  g_assert_null (gn_blocklist_manager_get_user_rules (f->mgr, GN_MATCH_ALLOW)[1]);
  g_assert_cmpstr (gn_blocklist_manager_get_user_rules (f->mgr, GN_MATCH_BLOCK)[0], ==, "xn--bcher-kva.test");
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "listed.example", NULL), ==, GN_MATCH_ALLOW);

  /* removing the allow rule blocks again */
  before = f->changes;
  g_assert_true (gn_blocklist_manager_remove_user_rule (f->mgr, GN_MATCH_ALLOW, "listed.example"));
  wait_for_change (f, before);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "listed.example", NULL), ==, GN_MATCH_BLOCK);
}

static void
test_disable_source (Fixture       *f,
                     gconstpointer  data)
{
  guint before;

  good_download (f);
  before = f->changes;
  gn_blocklist_source_set_enabled (only_source (f), FALSE);
  wait_for_change (f, before);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "listed.example", NULL), ==, GN_MATCH_NONE);
  /* and a refresh of all lists leaves a disabled one alone */
  g_autofree char *summary = refresh (f);
  g_assert_cmpstr (summary, ==, "No lists to update");
}

static void
test_if_modified_since (Fixture       *f,
                        gconstpointer  data)
{
  GnBlocklistSource *s = only_source (f);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  f->mode = "lastmod";
  first = refresh (f);
  g_assert_cmpstr (first, ==, "1 list updated");
  g_assert_null (f->last_if_modified_since);
  g_assert_cmpstr (gn_blocklist_source_get_last_modified (s), ==, "Sun, 22 Nov 2026 06:00:00 GMT");
  second = refresh (f);
  g_assert_cmpstr (f->last_if_modified_since, ==, "Sun, 22 Nov 2026 06:00:00 GMT");
  g_assert_cmpstr (second, ==, "1 list already up to date");
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);
}

static gboolean
still_updating (GnBlocklistSource *s)
{
  return gn_blocklist_source_get_updating (s);
}

static void
test_schedule (Fixture       *f,
               gconstpointer  data)
{
  GnBlocklistSource *s = only_source (f);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint requests;

  good_download (f);
  requests = f->requests;

  /* attempted 2 h ago, interval 1 h: due */
  gn_blocklist_manager_set_refresh_interval (f->mgr, 1);
  gn_blocklist_source_set_last_attempt (s, now - 2 * 3600);
  _gn_blocklist_manager_check_schedule (f->mgr);
  g_assert_true (still_updating (s));
  while (still_updating (s))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->requests, ==, requests + 1);
  g_assert_cmpint (gn_blocklist_source_get_last_attempt (s), >=, now);
  g_assert_null (gn_blocklist_source_get_last_error (s));

  /* just attempted: not due */
  _gn_blocklist_manager_check_schedule (f->mgr);
  g_assert_false (still_updating (s));

  /* 30 min ago with a 1 h interval: not due; with "off": never */
  gn_blocklist_source_set_last_attempt (s, now - 1800);
  _gn_blocklist_manager_check_schedule (f->mgr);
  g_assert_false (still_updating (s));
  gn_blocklist_manager_set_refresh_interval (f->mgr, 0);
  gn_blocklist_source_set_last_attempt (s, now - 48 * 3600);
  _gn_blocklist_manager_check_schedule (f->mgr);
  g_assert_false (still_updating (s));
  g_assert_cmpuint (f->requests, ==, requests + 1);
}

/* A company proxy (here a real GuardNest engine on loopback, which marks
 * what it forwards with a Via header) is the way out for downloads. */
static void
test_upstream_proxy (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) company = NULL;
  g_autoptr(GSocket) dead = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *company_uri = NULL;
  g_autofree char *dead_uri = NULL;
  GnBlocklistSource *s = only_source (f);
  guint16 dead_port;

  config->port = 0;
  company = gn_engine_new (config);
  g_assert_true (gn_engine_start (company, &error));
  g_assert_no_error (error);

  /* Direct first: no Via. */
  good_download (f);
  g_assert_null (f->last_via);

  /* Through the company proxy. */
  f->mode = "good2";
  company_uri = g_strdup_printf ("http://127.0.0.1:%u", gn_engine_get_port (company));
  gn_blocklist_manager_set_upstream (f->mgr, company_uri);
  summary = refresh (f);
  g_assert_cmpstr (summary, ==, "1 list updated");
  g_assert_nonnull (f->last_via);
  g_assert_nonnull (strstr (f->last_via, "guardnest"));
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 22);

  /* A company proxy that is gone: the download fails, it does not sneak out
   * directly, and the list stays as it was. */
  dead = gn_test_refusing_port_new (&dead_port);
  dead_uri = g_strdup_printf ("http://127.0.0.1:%u", dead_port);

  f->mode = "good";
  gn_blocklist_manager_set_upstream (f->mgr, dead_uri);
  g_clear_pointer (&f->last_via, g_free);
  f->requests = 0;
  g_free (summary);
  summary = refresh (f);
  g_assert_cmpuint (f->requests, ==, 0);
  g_assert_nonnull (gn_blocklist_source_get_last_error (s));
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 22);

  /* Back to direct. */
  gn_blocklist_manager_set_upstream (f->mgr, NULL);
  g_free (summary);
  summary = refresh (f);
  g_assert_cmpstr (summary, ==, "1 list updated");
  g_assert_null (f->last_via);

  gn_engine_stop (company);
}

static JsonObject *
read_saved (Fixture    *f,
            JsonParser *parser)
{
  g_autofree char *path = g_build_filename (f->config_dir, "blocklists.json", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* A refresh of three lists sets half a dozen properties on each source and
 * rebuilds once: the settings file is written once or twice for all of it
 * (it used to be several fsync'ed rewrites per list), and what is on disk
 * afterwards is the final state of every source. */
static void
test_one_save_per_refresh (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url2 = g_strconcat (f->url, "?list=2", NULL);
  g_autofree char *url3 = g_strconcat (f->url, "?list=3", NULL);
  g_autofree char *summary = NULL;
  GListModel *sources = gn_blocklist_manager_get_sources (f->mgr);
  JsonArray *saved;
  guint writes;

  gn_blocklist_manager_add_source (f->mgr, "Test list 2", url2, GN_BLOCKLIST_FORMAT_AUTO);
  gn_blocklist_manager_add_source (f->mgr, "Test list 3", url3, GN_BLOCKLIST_FORMAT_ADBLOCK);
  gn_blocklist_manager_flush (f->mgr);
  g_assert_null (f->mgr->save_source);
  writes = _gn_blocklist_manager_get_n_writes (f->mgr);

  summary = refresh (f);
  /* the third list is a hosts file read as Adblock: a failure is state
   * too; never downloaded before, it has no previous version to keep */
  g_assert_true (g_str_has_prefix (summary, "2 lists updated, 1 could not be downloaded: Test list 3: "));
  while (f->mgr->save_source != NULL)
    g_main_context_iteration (NULL, TRUE);
  writes = _gn_blocklist_manager_get_n_writes (f->mgr) - writes;
  g_test_message ("%u settings writes for a refresh of 3 lists", writes);
  g_assert_cmpuint (writes, >=, 1);
  g_assert_cmpuint (writes, <=, 3);

  saved = json_object_get_array_member (read_saved (f, parser), "sources");
  g_assert_cmpuint (json_array_get_length (saved), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, i);
      JsonObject *o = json_array_get_object_element (saved, i);

      g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, gn_blocklist_source_get_id (s));
      g_assert_cmpstr (json_object_get_string_member (o, "format"), ==,
                       gn_blocklist_format_to_string (gn_blocklist_source_get_format (s)));
      g_assert_cmpint (json_object_get_int_member (o, "entries"), ==, gn_blocklist_source_get_entries (s));
      g_assert_cmpint (json_object_get_int_member (o, "size"), ==, gn_blocklist_source_get_size (s));
      g_assert_cmpint (json_object_get_int_member (o, "last-attempt"), ==,
                       gn_blocklist_source_get_last_attempt (s));
      g_assert_cmpint (json_object_get_int_member (o, "last-success"), ==,
                       gn_blocklist_source_get_last_success (s));
      g_assert_cmpstr (json_object_get_string_member (o, "last-error"), ==,
                       gn_blocklist_source_get_last_error (s));
      g_assert_cmpstr (json_object_get_string_member (o, "etag"), ==, gn_blocklist_source_get_etag (s));
      g_assert_cmpint (gn_blocklist_source_get_last_attempt (s), >, 0);
      if (i < 2)
        {
          g_assert_cmpint (json_object_get_int_member (o, "entries"), ==, GOOD_ENTRIES + 1);
          g_assert_cmpstr (json_object_get_string_member (o, "etag"), ==, "\"v1\"");
          g_assert_true (json_object_get_null_member (o, "last-error"));
        }
      else
        {
          g_assert_cmpint (json_object_get_int_member (o, "entries"), ==, 0);
          g_assert_nonnull (json_object_get_string_member (o, "last-error"));
        }
    }
}

/* A change still waiting for its save is written when the manager goes. */
static void
test_save_flushed_at_dispose (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint writes;

  gn_blocklist_manager_flush (f->mgr);
  writes = _gn_blocklist_manager_get_n_writes (f->mgr);
  gn_blocklist_manager_set_refresh_interval (f->mgr, 6);
  g_assert_true (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "late.example", &error));
  g_assert_no_error (error);
  /* pending, not written yet */
  g_assert_nonnull (f->mgr->save_source);
  g_assert_cmpuint (_gn_blocklist_manager_get_n_writes (f->mgr), ==, writes);

  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  {
    JsonObject *root = read_saved (f, parser);
    JsonArray *block = json_object_get_array_member (root, "blocklist");

    g_assert_cmpint (json_object_get_int_member (root, "refresh-interval-hours"), ==, 6);
    g_assert_cmpuint (json_array_get_length (block), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (block, 0), ==, "late.example");
  }
}

static void
on_changed_count (GnBlocklistManager *mgr,
                  GnBlocklist        *list,
                  gpointer            user_data)
{
  guint *changes = user_data;

  (*changes)++;
}

/* The schedule and the save run on the context that was the thread-default
 * one when the manager was created (an engine thread, say), not on the
 * global default context. */
static void
test_owner_context (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gn-manager-XXXXXX", &error);
  g_autofree char *config = g_build_filename (tmp, "blocklists.json", NULL);
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", tmp);
  GMainContext *ctx = g_main_context_new ();
  GnBlocklistManager *mgr;
  gpointer weak;
  guint changes = 0;

  g_main_context_push_thread_default (ctx);
  mgr = gn_blocklist_manager_new (tmp, tmp);
  g_object_set (mgr, "download-missing", FALSE, NULL);
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed_count), &changes);
  g_assert_true (gn_blocklist_manager_load (mgr, &error));
  g_assert_no_error (error);

  g_assert_nonnull (mgr->schedule_source);
  g_assert_true (g_source_get_context (mgr->schedule_source) == ctx);
  g_assert_nonnull (mgr->save_source);
  g_assert_true (g_source_get_context (mgr->save_source) == ctx);

  /* the global default context never runs the save */
  while (g_main_context_iteration (g_main_context_default (), FALSE))
    ;
  g_assert_nonnull (mgr->save_source);
  g_assert_false (g_file_test (config, G_FILE_TEST_EXISTS));

  /* the owner's context does */
  while (mgr->save_source != NULL || changes == 0)
    g_main_context_iteration (ctx, TRUE);
  g_assert_true (g_file_test (config, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (_gn_blocklist_manager_get_n_writes (mgr), ==, 1);

  weak = mgr;
  g_object_add_weak_pointer (G_OBJECT (mgr), &weak);
  g_object_unref (mgr);
  while (weak != NULL)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);

  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
}

static void
test_defaults_and_bad_settings (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gn-manager-XXXXXX", &error);
  g_autofree char *config = g_build_filename (tmp, "blocklists.json", NULL);
  g_autofree char *bad = g_build_filename (tmp, "blocklists.json.bad", NULL);
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", tmp);
  GnBlocklistManager *mgr;
  GListModel *sources;

  for (int round = 0; round < 2; round++)
    {
      if (round == 1)
        g_assert_true (g_file_set_contents (config, "{ \"sources\": [ broken", -1, NULL));

      mgr = gn_blocklist_manager_new (tmp, tmp);
      g_object_set (mgr, "download-missing", FALSE, NULL);
      if (round == 0)
        g_assert_true (gn_blocklist_manager_load (mgr, &error));
      else
        {
          g_assert_false (gn_blocklist_manager_load (mgr, &error));
          g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
          g_clear_error (&error);
          /* the broken file is kept for the user, not overwritten */
          g_assert_true (g_file_test (bad, G_FILE_TEST_EXISTS));
        }

      sources = gn_blocklist_manager_get_sources (mgr);
      g_assert_cmpuint (g_list_model_get_n_items (sources), ==, 2);
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, i);

          g_assert_true (g_str_has_prefix (gn_blocklist_source_get_url (s), "https://"));
          g_assert_true (gn_blocklist_source_get_enabled (s));
          g_assert_cmpint (gn_blocklist_source_get_last_attempt (s), ==, 0);
        }
      g_assert_cmpuint (gn_blocklist_manager_get_refresh_interval (mgr), ==, 24);
      gn_blocklist_manager_flush (mgr);
      g_assert_true (g_file_test (config, G_FILE_TEST_EXISTS));
      g_object_unref (mgr);
    }

  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
}

/* A list never downloaded (the defaults on first start) is downloaded
 * right after load, not at the first schedule check a minute later. */
static void
test_download_missing_at_load (Fixture       *f,
                               gconstpointer  data)
{
  GnBlocklistSource *s;
  guint before;

  /* The fixture's list is saved, never downloaded. */
  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  f->mgr = gn_blocklist_manager_new (f->config_dir, f->cache_dir);
  g_signal_connect (f->mgr, "blocklist-changed", G_CALLBACK (on_changed), f);
  g_assert_true (gn_blocklist_manager_get_refresh_interval (f->mgr) > 0);
  before = f->changes;
  g_assert_true (gn_blocklist_manager_load (f->mgr, NULL));
  s = only_source (f);
  g_assert_cmpint (gn_blocklist_source_get_last_success (s), ==, 0);
  g_assert_true (gn_blocklist_source_get_updating (s));
  while (gn_blocklist_source_get_updating (s) || f->changes < before + 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (gn_blocklist_source_get_last_error (s));
  g_assert_cmpuint (gn_blocklist_source_get_entries (s), ==, GOOD_ENTRIES + 1);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "x.listed.example", NULL), ==, GN_MATCH_BLOCK);

  /* Downloaded once: the next start uses the cached copy, no download. */
  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  f->mgr = gn_blocklist_manager_new (f->config_dir, f->cache_dir);
  g_signal_connect (f->mgr, "blocklist-changed", G_CALLBACK (on_changed), f);
  g_assert_true (gn_blocklist_manager_load (f->mgr, NULL));
  g_assert_false (gn_blocklist_source_get_updating (only_source (f)));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/blocklist-manager/good", Fixture, NULL, setup, test_good_and_progress, teardown);
  g_test_add ("/blocklist-manager/not-modified", Fixture, NULL, setup, test_not_modified, teardown);
  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      g_autofree char *name = g_strdup_printf ("/blocklist-manager/keeps-previous/%s", failures[i].mode);

      g_test_add (name, Fixture, &failures[i], setup, test_failure_keeps_previous, teardown);
    }
  g_test_add ("/blocklist-manager/cache-survives-restart", Fixture, NULL, setup,
              test_cache_survives_restart, teardown);
  g_test_add ("/blocklist-manager/user-rules", Fixture, NULL, setup, test_user_rules, teardown);
  g_test_add ("/blocklist-manager/disable-source", Fixture, NULL, setup, test_disable_source, teardown);
  g_test_add ("/blocklist-manager/if-modified-since", Fixture, NULL, setup, test_if_modified_since, teardown);
  g_test_add ("/blocklist-manager/schedule", Fixture, NULL, setup, test_schedule, teardown);
  g_test_add ("/blocklist-manager/upstream-proxy", Fixture, NULL, setup, test_upstream_proxy, teardown);
  g_test_add ("/blocklist-manager/one-save-per-refresh", Fixture, NULL, setup,
              test_one_save_per_refresh, teardown);
  g_test_add ("/blocklist-manager/save-flushed-at-dispose", Fixture, NULL, setup,
              test_save_flushed_at_dispose, teardown);
  g_test_add ("/blocklist-manager/download-missing-at-load", Fixture, NULL, setup,
              test_download_missing_at_load, teardown);
  g_test_add_func ("/blocklist-manager/owner-context", test_owner_context);
  g_test_add_func ("/blocklist-manager/defaults-and-bad-settings", test_defaults_and_bad_settings);

  return g_test_run ();
}
