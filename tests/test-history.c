/* test-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The statistics history (GnHistoryStore) on a real temporary folder:
 * batches written and read back exactly by a new store on the same
 * folder (a restart); a torn last line and damaged lines skipped with a
 * warning while everything else is kept; a foreign file left alone;
 * retention deleting old days at a given date and compacting finished
 * ones; the export parsed back (CSV columns, JSON with json-glib); the
 * real `guardnest --headless` recording real curl traffic, killed with
 * SIGKILL, losing at most its last batch; --export-history.
 *
 * Threading: main thread; the store's writer thread; the binary is a
 * child process.
 */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gn-error.h"
#include "gn-history-store.h"
#include "gn-settings-store.h"
#include "test-utils.h"

#define MINUTE_US (G_USEC_PER_SEC * G_GINT64_CONSTANT (60))
#define DAY_S     (24 * 3600)

typedef struct
{
  char      *tmp;       /* (owned) */
  char      *dir;       /* (owned) tmp/history */
  GPtrArray *warnings;  /* (owned) what "warning" said */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmp = g_dir_make_tmp ("gn-history-XXXXXX", &error);
  g_assert_no_error (error);
  f->dir = g_build_filename (f->tmp, "history", NULL);
  f->warnings = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gn_test_remove_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->dir);
  g_ptr_array_unref (f->warnings);
}

static void
warning_cb (GnHistoryStore *store,
            const char     *text,
            Fixture        *f)
{
  g_test_message ("warning: %s", text);
  g_ptr_array_add (f->warnings, g_strdup (text));
}

static GnHistoryStore *
open_store (Fixture *f)
{
  GnHistoryStore *store = gn_history_store_new (f->dir);

  g_signal_connect (store, "warning", G_CALLBACK (warning_cb), f);
  return store;
}

/* Lets the writer's notices ("warning", "flushed") arrive. */
static void
drain (GnHistoryStore *store)
{
  g_assert_true (gn_history_store_sync (store, NULL));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
day_name (gint64 unix_s,
          int    offset)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (unix_s);
  g_autoptr(GDateTime) noon = g_date_time_new_local (g_date_time_get_year (now),
                                                     g_date_time_get_month (now),
                                                     g_date_time_get_day_of_month (now),
                                                     12, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_add_days (noon, offset);

  return g_date_time_format (day, "%Y-%m-%d");
}

/* Local noon of the day @offset days from today, in Unix seconds. */
static gint64
noon_of (int offset)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) noon = g_date_time_new_local (g_date_time_get_year (now),
                                                     g_date_time_get_month (now),
                                                     g_date_time_get_day_of_month (now),
                                                     12, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_add_days (noon, offset);

  return g_date_time_to_unix (day);
}

static char *
file_of (Fixture    *f,
         const char *day)
{
  g_autofree char *name = g_strconcat (day, ".jsonl", NULL);

  return g_build_filename (f->dir, name, NULL);
}

static const GnHistoryPoint *
point (GnHistory *h,
       guint      i)
{
  g_assert_cmpuint (i, <, h->points->len);
  return &g_array_index (h->points, GnHistoryPoint, i);
}

static guint64
domain_count (GnHistory  *h,
              const char *day,
              const char *domain)
{
  for (guint i = 0; i < h->domains->len; i++)
    {
      GnHistoryDomain *d = g_ptr_array_index (h->domains, i);

      if (g_str_equal (d->domain, domain) && (day == NULL || g_str_equal (d->day, day)))
        return d->blocked;
    }
  return 0;
}

/* Several flushes over ten minutes, then a new store reads the same
 * figures back, minute by minute. */
static void
test_restart_reads_back (Fixture       *f,
                         gconstpointer  data)
{
  gint64 base = (g_get_real_time () / MINUTE_US - 20) * MINUTE_US;
  g_autoptr(GnHistoryStore) store = open_store (f);
  g_autoptr(GnHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *today = NULL;

  for (guint m = 0; m < 10; m++)
    {
      for (guint k = 0; k < 3; k++)
        gn_history_store_record (store, base + m * MINUTE_US + k * G_USEC_PER_SEC,
                                 10 * m + k + 1, m, 1000 * m, 7 * m + k,
                                 m % 2 == 0 ? "ads.example" : "tracker.example");
      /* A flush every other minute: several appends to the same file. */
      if (m % 2 == 1)
        gn_history_store_flush (store);
    }
  gn_history_store_record (store, base + 3 * MINUTE_US, 0, 0, 0, 0, "we\"ird,domain");
  g_assert_true (gn_history_store_sync (store, &error));
  g_assert_no_error (error);
  g_clear_object (&store);

  store = open_store (f);
  h = gn_history_store_query (store, base / G_USEC_PER_SEC, base / G_USEC_PER_SEC + 600, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (h->points->len, ==, 10);
  for (guint m = 0; m < 10; m++)
    {
      const GnHistoryPoint *p = point (h, m);

      g_assert_cmpint (p->start, ==, base / G_USEC_PER_SEC + 60 * m);
      g_assert_cmpuint (p->requests, ==, 3 * (10 * m) + 1 + 2 + 3);
      g_assert_cmpuint (p->blocked, ==, 3 * m);
      g_assert_cmpuint (p->bytes_up, ==, 3 * 1000 * m);
      g_assert_cmpuint (p->bytes_down, ==, 3 * 7 * m + 0 + 1 + 2);
    }
  today = day_name (base / G_USEC_PER_SEC, 0);
  /* Minutes 0..9 may straddle midnight: count over both days then. */
  g_assert_cmpuint (domain_count (h, NULL, "ads.example") +
                    domain_count (h, NULL, "tracker.example"), >=, 15);
  {
    guint64 ads = 0, tracker = 0, weird = 0;

    for (guint i = 0; i < h->domains->len; i++)
      {
        GnHistoryDomain *d = g_ptr_array_index (h->domains, i);

        if (g_str_equal (d->domain, "ads.example"))
          ads += d->blocked;
        else if (g_str_equal (d->domain, "tracker.example"))
          tracker += d->blocked;
        else if (g_str_equal (d->domain, "we\"ird,domain"))
          weird += d->blocked;
      }
    g_assert_cmpuint (ads, ==, 15);
    g_assert_cmpuint (tracker, ==, 15);
    g_assert_cmpuint (weird, ==, 1);
  }

  /* Coarser buckets sum the same minutes. */
  {
    g_autoptr(GnHistory) hours = gn_history_store_query (store, base / G_USEC_PER_SEC,
                                                         base / G_USEC_PER_SEC + 600, 3600, NULL);

    g_assert_cmpuint (gn_history_total_requests (hours), ==, gn_history_total_requests (h));
    g_assert_cmpuint (gn_history_total_blocked (hours), ==, 3 * 45);
  }
  drain (store);
  g_assert_cmpuint (f->warnings->len, ==, 0);
}

/* kill -9 in the middle of an append: the torn last line is skipped
 * without a word, a damaged line in the middle is skipped with one
 * warning naming the file, and every other line counts. */
static void
test_torn_and_damaged (Fixture       *f,
                       gconstpointer  data)
{
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  gint64 minute = now_s / 60 - 5;
  g_autofree char *today = day_name (now_s, 0);
  g_autofree char *path = file_of (f, today);
  g_autofree char *contents = NULL;
  g_autoptr(GnHistoryStore) store = NULL;
  g_autoptr(GnHistory) h = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  contents = g_strdup_printf ("{\"m\":%" G_GINT64_FORMAT ",\"r\":5,\"b\":1,\"u\":10,\"d\":20}\n"
                              "{\"dom\":\"ads.example\",\"b\":2}\n"
                              "this is not json\n"
                              "{\"m\":%" G_GINT64_FORMAT ",\"r\":-3}\n"
                              "{\"m\":%" G_GINT64_FORMAT ",\"r\":7,\"b\":0,\"u\":1,\"d\":2}\n"
                              "{\"m\":%" G_GINT64_FORMAT ",\"r\":1000,\"b",
                              minute, minute, minute + 1, minute + 2);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));

  store = open_store (f);
  h = gn_history_store_query (store, minute * 60, minute * 60 + 300, 60, NULL);
  g_assert_cmpuint (point (h, 0)->requests, ==, 5);
  g_assert_cmpuint (point (h, 1)->requests, ==, 7);
  g_assert_cmpuint (point (h, 2)->requests, ==, 0);   /* the torn line */
  g_assert_cmpuint (domain_count (h, today, "ads.example"), ==, 2);
  drain (store);
  g_assert_cmpuint (f->warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (f->warnings, 0), path));
  g_assert_nonnull (strstr (g_ptr_array_index (f->warnings, 0), "2 damaged lines"));

  /* Writing on: the torn line is ended first, so the new line is whole. */
  gn_history_store_record (store, (minute + 3) * MINUTE_US, 11, 0, 0, 0, NULL);
  drain (store);
  g_clear_object (&store);
  g_clear_pointer (&h, gn_history_unref);
  store = open_store (f);
  h = gn_history_store_query (store, minute * 60, minute * 60 + 300, 60, NULL);
  g_assert_cmpuint (point (h, 0)->requests, ==, 5);
  g_assert_cmpuint (point (h, 1)->requests, ==, 7);
  g_assert_cmpuint (point (h, 3)->requests, ==, 11);
  /* The file was kept, not truncated or replaced. */
  {
    g_autofree char *after = NULL;

    g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
    g_assert_true (g_str_has_prefix (after, contents));
  }
}

/* A file that is not ours under a day's name (binary bytes) costs that
 * day only, with a warning. */
static void
test_foreign_file (Fixture       *f,
                   gconstpointer  data)
{
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *yesterday = day_name (now_s, -1);
  g_autofree char *path = file_of (f, yesterday);
  guchar junk[4096];
  g_autoptr(GnHistoryStore) store = NULL;
  g_autoptr(GnHistory) h = NULL;

  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guchar) g_random_int ();
  junk[100] = '\n';
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *) junk, sizeof junk, NULL));

  store = open_store (f);
  gn_history_store_record (store, g_get_real_time (), 3, 1, 0, 0, "x.example");
  h = gn_history_store_query (store, now_s - 2 * DAY_S, now_s + 60, 60, NULL);
  g_assert_cmpuint (gn_history_total_requests (h), ==, 3);
  drain (store);
  g_assert_cmpuint (f->warnings->len, >=, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (f->warnings, 0), path));
}

static void
write_day (Fixture *f,
           int      offset,
           guint    lines)
{
  gint64 noon = noon_of (offset);
  g_autofree char *name = day_name (noon, 0);
  g_autofree char *path = file_of (f, name);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < lines; i++)
    g_string_append_printf (text, "{\"m\":%" G_GINT64_FORMAT ",\"r\":1,\"b\":0,\"u\":0,\"d\":0}\n",
                            noon / 60 + i % 3);
  g_string_append (text, "{\"dom\":\"old.example\",\"b\":1}\n{\"dom\":\"old.example\",\"b\":1}\n");
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

static gboolean
day_exists (Fixture *f,
            int      offset)
{
  g_autofree char *name = day_name (noon_of (offset), 0);
  g_autofree char *path = file_of (f, name);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Days before the retention go, at start and at a given date; finished
 * days are compacted with the same sums. */
static void
test_retention (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GnHistoryStore) store = NULL;
  gint64 now_us = g_get_real_time ();

  for (int offset = -40; offset <= -1; offset++)
    write_day (f, offset, 9);

  /* At start, with the default 30 days: today and the 29 before stay. */
  store = open_store (f);
  drain (store);
  g_assert_cmpuint (gn_history_store_get_retention_days (store), ==, 30);
  g_assert_false (day_exists (f, -40));
  g_assert_false (day_exists (f, -30));
  g_assert_true (day_exists (f, -29));
  g_assert_true (day_exists (f, -1));

  /* Compacted: one line per minute and per domain, the same sums. */
  {
    g_autofree char *name = day_name (noon_of (-2), 0);
    g_autofree char *path = file_of (f, name);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GnHistory) h = gn_history_store_query (store, noon_of (-2) - 60, noon_of (-2) + 600,
                                                     60, NULL);

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    lines = g_strsplit (g_strstrip (text), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 3 + 1);
    g_assert_cmpuint (gn_history_total_requests (h), ==, 9);
    g_assert_cmpuint (domain_count (h, name, "old.example"), ==, 2);
  }

  /* Ten days later (an injected date): the oldest ten go too. */
  gn_history_store_expire (store, now_us + G_GINT64_CONSTANT (10) * DAY_S * G_USEC_PER_SEC);
  drain (store);
  g_assert_false (day_exists (f, -20));
  g_assert_true (day_exists (f, -19));

  /* A shorter retention applies at once. */
  gn_history_store_set_retention_days (store, 3);
  drain (store);
  g_assert_false (day_exists (f, -3));
  g_assert_true (day_exists (f, -2));
  g_assert_true (day_exists (f, -1));
  g_assert_cmpuint (f->warnings->len, ==, 0);
}

/* The retention is a saved setting; a bad value is reported. */
static void
test_retention_setting (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *ini = g_build_filename (f->tmp, "settings.ini", NULL);
  g_autoptr(GnSettingsStore) settings = gn_settings_store_new (ini);
  g_autoptr(GnSettingsStore) again = gn_settings_store_new (ini);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (gn_settings_store_get_history_days (settings), ==, 30);
  gn_settings_store_set_history_days (settings, 7);
  g_assert_true (gn_settings_store_save (settings, &error));
  g_assert_no_error (error);
  g_assert_true (gn_settings_store_load (again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gn_settings_store_get_history_days (again), ==, 7);

  g_assert_true (g_file_set_contents (ini, "[history]\nretention-days=0\n", -1, NULL));
  g_assert_false (gn_settings_store_load (again, &error));
  g_assert_nonnull (strstr (error->message, "retention-days"));
  g_assert_cmpuint (gn_settings_store_get_history_days (again), ==, 30);
}

static gboolean
export_done_cb (gpointer data)
{
  return *(gboolean *) data;
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gn_history_store_export_finish (GN_HISTORY_STORE (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* CSV and JSON exports, parsed back. */
static void
test_export (Fixture       *f,
             gconstpointer  data)
{
  gint64 now_us = g_get_real_time ();
  g_autoptr(GnHistoryStore) store = open_store (f);
  g_autofree char *csv_path = g_build_filename (f->tmp, "history.csv", NULL);
  g_autofree char *json_path = g_build_filename (f->tmp, "history.JSON", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_auto(GStrv) rows = NULL;
  guint64 minute_requests = 0, hour_requests = 0, comma_blocked = 0;
  guint n_minutes = 0, n_hours = 0;
  gboolean done = FALSE;

  for (guint m = 0; m < 5; m++)
    gn_history_store_record (store, now_us - m * MINUTE_US, 100 + m, m, 10, 20, NULL);
  gn_history_store_record (store, now_us, 0, 0, 0, 0, "comma,quote\".example");
  gn_history_store_record (store, now_us, 0, 0, 0, 0, "comma,quote\".example");

  g_assert_cmpint (gn_history_format_for_path (csv_path), ==, GN_HISTORY_FORMAT_CSV);
  g_assert_cmpint (gn_history_format_for_path (json_path), ==, GN_HISTORY_FORMAT_JSON);
  g_assert_true (gn_history_store_export (store, csv_path, GN_HISTORY_FORMAT_CSV, now_us, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  rows = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpstr (rows[0], ==, "series,start,domain,requests,blocked,bytes_up,bytes_down");
  for (guint i = 1; rows[i] != NULL && rows[i][0] != '\0'; i++)
    {
      if (g_str_has_prefix (rows[i], "domain,"))
        {
          /* domain,DAY,"comma,quote"".example",,2,, */
          g_assert_nonnull (strstr (rows[i], ",\"comma,quote\"\".example\",,"));
          comma_blocked += g_ascii_strtoull (strstr (rows[i], "example\",,") + 10, NULL, 10);
          continue;
        }
      {
        g_auto(GStrv) cols = g_strsplit (rows[i], ",", -1);

        g_assert_cmpuint (g_strv_length (cols), ==, 7);
        g_assert_cmpstr (cols[2], ==, "");
        g_assert_true (g_str_has_suffix (cols[1], "Z"));
        if (g_str_equal (cols[0], "minute"))
          {
            n_minutes++;
            minute_requests += g_ascii_strtoull (cols[3], NULL, 10);
          }
        else
          {
            g_assert_cmpstr (cols[0], ==, "hour");
            n_hours++;
            hour_requests += g_ascii_strtoull (cols[3], NULL, 10);
          }
      }
    }
  g_assert_cmpuint (n_minutes, ==, 24 * 60);
  g_assert_cmpuint (n_hours, ==, 30 * 24);
  g_assert_cmpuint (minute_requests, ==, 100 + 101 + 102 + 103 + 104);
  g_assert_cmpuint (hour_requests, ==, minute_requests);
  g_assert_cmpuint (comma_blocked, ==, 2);

  /* JSON, asynchronously (as the window does). */
  gn_history_store_export_async (store, json_path, GN_HISTORY_FORMAT_JSON, now_us, NULL,
                                 exported_cb, &done);
  g_assert_true (gn_test_wait_until (export_done_cb, &done, 10000));
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *root;
    JsonArray *minutes, *domains;
    guint64 sum = 0;

    g_assert_true (json_parser_load_from_file (parser, json_path, &error));
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
    minutes = json_object_get_array_member (root, "minutes");
    g_assert_cmpuint (json_array_get_length (minutes), ==, 24 * 60);
    for (guint i = 0; i < json_array_get_length (minutes); i++)
      sum += json_object_get_int_member (json_array_get_object_element (minutes, i), "requests");
    g_assert_cmpuint (sum, ==, minute_requests);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "hours")), ==, 30 * 24);
    domains = json_object_get_array_member (root, "blocked_domains");
    g_assert_cmpuint (json_array_get_length (domains), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (domains, 0), "domain"),
                     ==, "comma,quote\".example");
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (domains, 0), "blocked"),
                     ==, 2);
  }

  /* A folder that does not exist: a clear error, nothing written. */
  {
    g_autofree char *bad = g_build_filename (f->tmp, "no", "such", "dir", "h.csv", NULL);

    g_assert_false (gn_history_store_export (store, bad, GN_HISTORY_FORMAT_CSV, now_us, &error));
    g_assert_error (error, GN_ERROR, GN_ERROR_IO);
    g_assert_nonnull (strstr (error->message, bad));
  }
}

/* ---- the real binary ---- */

typedef struct
{
  GSubprocess *proc;
  guint16      port;
} Child;

static void
start_headless (Fixture    *f,
                Child      *child,
                const char *list)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *data_home = g_build_filename (f->tmp, "data", NULL);
  g_autofree char *config_home = g_build_filename (f->tmp, "config", NULL);
  const char *marker = " port ";

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  child->proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("GN_GUARDNEST"),
                                             "--headless", "--port=0", "--quiet",
                                             "--blocklist", list, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, marker));
  child->port = (guint16) atoi (strstr (line, marker) + strlen (marker));
}

static void
curl_n (guint16       port,
        GnTestOrigin *origin,
        guint         n_served,
        guint         n_blocked)
{
  g_autofree char *proxy = gn_test_proxy_url (port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));

  for (guint i = 0; i < n_served; i++)
    g_assert_cmpint (gn_test_curl (NULL, "-x", proxy, url, NULL), ==, 0);
  for (guint i = 0; i < n_blocked; i++)
    g_assert_cmpint (gn_test_curl (NULL, "-x", proxy, "http://ads.example/", NULL), ==, 0);
}

typedef struct
{
  char   *dir;
  gint64  from;
  guint64 want;
  guint64 requests;
  guint64 blocked;
  guint64 ads;
} Reading;

static void
read_history (Reading *r)
{
  g_autoptr(GnHistoryStore) store = gn_history_store_new (r->dir);
  g_autoptr(GnHistory) h = gn_history_store_query (store, r->from, g_get_real_time () / G_USEC_PER_SEC + 120,
                                                   60, NULL);

  r->requests = gn_history_total_requests (h);
  r->blocked = gn_history_total_blocked (h);
  r->ads = domain_count (h, NULL, "ads.example");
}

static gboolean
reached_cb (gpointer data)
{
  Reading *r = data;

  read_history (r);
  if (r->requests >= r->want)
    return TRUE;
  g_usleep (100 * 1000);
  return FALSE;
}

/* The real binary under real traffic, killed with SIGKILL: what it had
 * flushed is all there and readable; what came after its last flush is
 * at most what it received after. */
static void
test_kill_headless (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *list = gn_test_write_list ("ads.example\n");
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  Reading r = { 0 };
  Child child = { 0 };
  g_autoptr(GError) error = NULL;

  r.dir = g_build_filename (f->tmp, "data", "guardnest", "history", NULL);
  r.from = g_get_real_time () / G_USEC_PER_SEC - 120;

  start_headless (f, &child, list);
  curl_n (child.port, origin, 12, 4);
  /* Everything so far reaches the disk within a few flushes. */
  r.want = 16;
  g_assert_true (gn_test_wait_until (reached_cb, &r, 20000));
  g_assert_cmpuint (r.requests, ==, 16);
  g_assert_cmpuint (r.blocked, ==, 4);
  g_assert_cmpuint (r.ads, ==, 4);

  /* More, then SIGKILL at once: no clean flush. */
  curl_n (child.port, origin, 5, 0);
  g_subprocess_send_signal (child.proc, SIGKILL);
  g_subprocess_wait (child.proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child.proc));
  g_clear_object (&child.proc);

  read_history (&r);
  g_test_message ("after SIGKILL: %" G_GUINT64_FORMAT " of 21 requests recorded", r.requests);
  g_assert_cmpuint (r.requests, >=, 16);
  g_assert_cmpuint (r.requests, <=, 21);
  g_assert_cmpuint (r.ads, ==, 4);

  /* A restart records on top of it; a clean stop loses nothing. */
  {
    guint64 before = r.requests;

    start_headless (f, &child, list);
    curl_n (child.port, origin, 3, 1);
    /* The registry's batches reach the main loop within 250 ms. */
    g_usleep (1500 * 1000);
    g_subprocess_send_signal (child.proc, SIGTERM);
    g_subprocess_wait (child.proc, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_if_exited (child.proc));
    g_clear_object (&child.proc);
    read_history (&r);
    g_assert_cmpuint (r.requests, ==, before + 4);
    g_assert_cmpuint (r.ads, ==, 5);
  }

  /* --export-history reads what the runs left. */
  {
    g_autofree char *path = g_build_filename (f->tmp, "out.json", NULL);
    g_autofree char *data_home = g_build_filename (f->tmp, "data", NULL);
    g_autofree char *config_home = g_build_filename (f->tmp, "config", NULL);
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonArray *domains;

    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
    proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("GN_GUARDNEST"),
                                        "--headless", "--export-history", path, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_file (parser, path, &error));
    g_assert_no_error (error);
    domains = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                            "blocked_domains");
    g_assert_cmpuint (json_array_get_length (domains), >=, 1);
  }

  gn_test_origin_free (origin);
  gn_test_remove_file (list);
  g_free (r.dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/history/restart-reads-back", Fixture, NULL,
              fixture_setup, test_restart_reads_back, fixture_teardown);
  g_test_add ("/history/torn-and-damaged", Fixture, NULL,
              fixture_setup, test_torn_and_damaged, fixture_teardown);
  g_test_add ("/history/foreign-file", Fixture, NULL,
              fixture_setup, test_foreign_file, fixture_teardown);
  g_test_add ("/history/retention", Fixture, NULL,
              fixture_setup, test_retention, fixture_teardown);
  g_test_add ("/history/retention-setting", Fixture, NULL,
              fixture_setup, test_retention_setting, fixture_teardown);
  g_test_add ("/history/export", Fixture, NULL,
              fixture_setup, test_export, fixture_teardown);
  if (g_getenv ("GN_GUARDNEST") != NULL)
    g_test_add ("/history/kill-headless", Fixture, NULL,
                fixture_setup, test_kill_headless, fixture_teardown);
  return g_test_run ();
}
