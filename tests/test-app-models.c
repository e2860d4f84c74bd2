/* test-app-models.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's models against the real connection registry: a registry on
 * its own "engine" thread and main context, written the way the proxy
 * writes it, delivering its batches to this (main) thread. Checks that
 * GnConnectionModel updates rows in place (property notifications, no
 * items-changed for updates), appends and removes with the smallest ranges,
 * honours Pause, and that GnBlockedModel counts each blocked connection
 * once per domain, and that the programs GnAppResolver reports reach the
 * Blocked rows and GnAppStats (Top apps) once per connection, whether the
 * program or the block comes first. No display needed (tests/test-ui.c
 * checks the same with real curl traffic through the real proxy).
 */

#include <glib/gstdio.h>

#include "gn-app-stats.h"
#include "gn-blocked-model.h"
#include "gn-connection-model.h"
#include "gn-timed-rules.h"
#include "gn-traffic-stats.h"

typedef struct
{
  GThread              *thread;
  GMainContext         *context;   /* the engine thread's */
  GMainLoop            *loop;
  GnConnectionRegistry *registry;
  GPtrArray            *records;   /* GnConnectionRecord*, engine thread only */

  GnConnectionModel    *model;
  GnBlockedModel       *blocked;
  GnTrafficStats       *stats;
  GnAppStats           *apps;
  guint                 subscription;
  guint                 n_batches;
  guint                 n_inserted;
  guint                 n_removed;
  guint                 n_items_changed;
  gint64                last_change_us;         /* monotonic time of the last items-changed */
  guint64               last_added_id;          /* newest connection a batch added */
  guint                 n_rows_updated;         /* GnConnectionModel::rows-updated */
  guint                 rows_at_update;         /* rows in the model then */
  guint                 n_blocked_updated;      /* GnBlockedModel::rows-updated */
} Fixture;

static gpointer
engine_thread (gpointer data)
{
  Fixture *f = data;

  g_main_context_push_thread_default (f->context);
  g_main_loop_run (f->loop);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

typedef struct
{
  GMutex    mutex;
  GCond     cond;
  gboolean  done;
  void    (*func) (Fixture *f, gpointer data);
  Fixture  *f;
  gpointer  data;
} Call;

static gboolean
call_cb (gpointer user_data)
{
  Call *call = user_data;

  call->func (call->f, call->data);
  g_mutex_lock (&call->mutex);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
  return G_SOURCE_REMOVE;
}

/* Runs func on the engine thread and waits for it. */
static void
on_engine (Fixture  *f,
           void    (*func) (Fixture *f, gpointer data),
           gpointer  data)
{
  Call call = { .func = func, .f = f, .data = data };

  g_mutex_init (&call.mutex);
  g_cond_init (&call.cond);
  g_main_context_invoke (f->context, call_cb, &call);
  g_mutex_lock (&call.mutex);
  while (!call.done)
    g_cond_wait (&call.cond, &call.mutex);
  g_mutex_unlock (&call.mutex);
  g_mutex_clear (&call.mutex);
  g_cond_clear (&call.cond);
}

static void
create_registry (Fixture  *f,
                 gpointer  data)
{
  f->registry = gn_connection_registry_new (f->context);
  gn_connection_registry_set_linger (f->registry, GPOINTER_TO_UINT (data));
  /* The models' own behaviour with thousands of closed rows, not the
   * registry's cap (tests/test-registry.c checks that). */
  gn_connection_registry_set_max_closed (f->registry, 100000);
}

static void
batch_cb (const GnConnectionBatch *batch,
          gpointer                 user_data)
{
  Fixture *f = user_data;

  f->n_batches++;
  for (guint i = 0; batch->added != NULL && i < batch->added->len; i++)
    f->last_added_id = MAX (f->last_added_id,
                            ((const GnConnectionInfo *) g_ptr_array_index (batch->added, i))->id);
  gn_connection_model_apply_batch (f->model, batch);
  gn_blocked_model_apply_batch (f->blocked, batch);
  gn_traffic_stats_apply_batch (f->stats, batch, g_get_real_time ());
  gn_app_stats_apply_batch (f->apps, batch);
}

static void
rows_updated_cb (GnConnectionModel *model,
                 Fixture           *f)
{
  f->n_rows_updated++;
  f->rows_at_update = g_list_model_get_n_items (gn_connection_model_get_rows (model));
}

static void
blocked_updated_cb (GnBlockedModel *model,
                    Fixture        *f)
{
  f->n_blocked_updated++;
}

static void
items_changed_cb (GListModel *list,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  f->n_items_changed++;
  f->last_change_us = g_get_monotonic_time ();
  f->n_inserted += added;
  f->n_removed += removed;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->context = g_main_context_new ();
  f->loop = g_main_loop_new (f->context, FALSE);
  f->records = g_ptr_array_new ();
  f->thread = g_thread_new ("engine", engine_thread, f);
  on_engine (f, create_registry, GUINT_TO_POINTER (300));

  f->model = gn_connection_model_new ();
  f->blocked = gn_blocked_model_new ();
  f->stats = gn_traffic_stats_new ();
  f->apps = gn_app_stats_new ();
  g_signal_connect (gn_connection_model_get_rows (f->model), "items-changed",
                    G_CALLBACK (items_changed_cb), f);
  g_signal_connect (f->model, "rows-updated", G_CALLBACK (rows_updated_cb), f);
  g_signal_connect (f->blocked, "rows-updated", G_CALLBACK (blocked_updated_cb), f);
  f->subscription = gn_connection_registry_subscribe (f->registry, NULL, 50, batch_cb, f, NULL);
}

static void
drop_registry (Fixture  *f,
               gpointer  data)
{
  g_clear_object (&f->registry);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gn_connection_registry_unsubscribe (f->registry, f->subscription);
  on_engine (f, drop_registry, NULL);
  g_main_loop_quit (f->loop);
  g_thread_join (f->thread);
  g_main_loop_unref (f->loop);
  g_main_context_unref (f->context);
  g_ptr_array_unref (f->records);

  g_assert_finalize_object (f->model);
  g_assert_finalize_object (f->blocked);
  g_assert_finalize_object (f->stats);
  g_assert_finalize_object (f->apps);
  /* Drain sources the batches left on the main context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Iterates the main context until cond or 5 s. */
#define WAIT_FOR(cond) G_STMT_START {                                   \
  gint64 _end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;           \
  while (!(cond) && g_get_monotonic_time () < _end)                     \
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);            \
  g_assert_true (cond);                                                 \
} G_STMT_END

/* ---- engine-thread writers ---- */

typedef struct
{
  guint       n;
  const char *host;
  GnConnectionKind kind;
} OpenArgs;

static void
open_records (Fixture  *f,
              gpointer  data)
{
  OpenArgs *args = data;

  for (guint i = 0; i < args->n; i++)
    {
      GnConnectionRecord *r = gn_connection_registry_open (f->registry, "127.0.0.1",
                                                           40000 + f->records->len, NULL, NULL);
      g_autofree char *host = g_strdup_printf ("%s%u.example", args->host, i % 7);

      gn_connection_record_set_target (r, args->kind == GN_CONNECTION_KIND_BLOCKED ? host : host,
                                       443, args->kind);
      if (args->kind == GN_CONNECTION_KIND_BLOCKED)
        {
          gn_connection_record_set_verdict (r, "Malware", "example");
          gn_connection_record_set_status (r, 403);
        }
      gn_connection_record_set_state (r, GN_CONNECTION_STATE_OPEN);
      gn_connection_record_count_request (r);
      g_ptr_array_add (f->records, r);
    }
}

static void
add_bytes_all (Fixture  *f,
               gpointer  data)
{
  guint64 n = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < f->records->len; i++)
    gn_connection_record_add_bytes (f->records->pdata[i], n, 2 * n);
}

static void
close_first (Fixture  *f,
             gpointer  data)
{
  guint n = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < n; i++)
    {
      GnConnectionRecord *r = f->records->pdata[i];

      gn_connection_registry_close (f->registry, r);
    }
  g_ptr_array_remove_range (f->records, 0, n);
}

static guint
n_rows (Fixture *f)
{
  return g_list_model_get_n_items (gn_connection_model_get_rows (f->model));
}

static GnConnectionRow *
row_at (Fixture *f,
        guint    i)
{
  g_autoptr(GnConnectionRow) row = g_list_model_get_item (gn_connection_model_get_rows (f->model), i);
  return row;  /* the store keeps it */
}

static guint n_notifies;

static void
count_notify (GObject    *object,
              GParamSpec *pspec)
{
  n_notifies++;
}

static void
test_in_place (Fixture       *f,
               gconstpointer  data)
{
  OpenArgs args = { 3, "site", GN_CONNECTION_KIND_TUNNEL };
  GnConnectionRow *row;
  guint changed_before;

  on_engine (f, open_records, &args);
  WAIT_FOR (n_rows (f) == 3);
  g_assert_cmpuint (f->n_inserted, ==, 3);
  g_assert_cmpuint (gn_connection_model_get_n_open (f->model), ==, 3);

  row = row_at (f, 0);
  g_assert_cmpstr (gn_connection_row_get_host (row), ==, "site0.example");
  g_assert_cmpuint (gn_connection_row_get_kind (row), ==, GN_CONNECTION_KIND_TUNNEL);
  g_signal_connect (row, "notify::bytes-down", G_CALLBACK (count_notify), NULL);
  n_notifies = 0;

  /* Byte counts change: rows update in place, the list does not change. */
  changed_before = f->n_items_changed;
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (1000));
  WAIT_FOR (gn_connection_row_get_bytes_down (row_at (f, 2)) == 2000);
  g_assert_cmpuint (gn_connection_row_get_bytes_up (row), ==, 1000);
  g_assert_cmpuint (gn_connection_row_get_bytes_down (row), ==, 2000);
  g_assert_cmpuint (f->n_items_changed, ==, changed_before);
  g_assert_cmpuint (n_notifies, ==, 1);
  g_assert_true (row == row_at (f, 0));

  /* Closing: the row greys out (closed) and, after lingering, goes. */
  on_engine (f, close_first, GUINT_TO_POINTER (2));
  WAIT_FOR (gn_connection_row_get_closed (row));
  g_assert_cmpuint (gn_connection_model_get_n_open (f->model), ==, 1);
  g_assert_cmpuint (n_rows (f), ==, 3);
  WAIT_FOR (n_rows (f) == 1);
  g_assert_cmpuint (f->n_removed, ==, 2);
  /* The two removed rows were adjacent: one items-changed for both. */
  g_assert_cmpuint (f->n_items_changed, ==, changed_before + 1);
  g_assert_cmpstr (gn_connection_row_get_host (row_at (f, 0)), ==, "site2.example");

  /* Totals reach the statistics. */
  g_assert_cmpuint (gn_traffic_stats_get_today (f->stats)->bytes_down, ==, 6000);
  g_assert_cmpuint (gn_traffic_stats_get_today (f->stats)->requests, ==, 3);
}

static void
test_pause (Fixture       *f,
            gconstpointer  data)
{
  OpenArgs args = { 4, "p", GN_CONNECTION_KIND_HTTP };
  guint batches;

  on_engine (f, open_records, &args);
  WAIT_FOR (n_rows (f) == 4);

  gn_connection_model_set_paused (f->model, TRUE);
  batches = f->n_batches;
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (10));
  on_engine (f, open_records, &args);
  on_engine (f, close_first, GUINT_TO_POINTER (1));
  WAIT_FOR (f->n_batches > batches);
  /* Long enough for the closed one's linger (300 ms) to end too. */
  {
    gint64 end = g_get_monotonic_time () + 700 * 1000;
    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  /* Nothing moved while paused. */
  g_assert_cmpuint (n_rows (f), ==, 4);
  g_assert_cmpuint (gn_connection_row_get_bytes_up (row_at (f, 1)), ==, 0);

  /* Resume: all of it at once; the closed one lingers then goes. */
  gn_connection_model_set_paused (f->model, FALSE);
  g_assert_cmpuint (gn_connection_row_get_bytes_up (row_at (f, 1)), ==, 10);
  g_assert_cmpuint (n_rows (f), ==, 7);
  for (guint i = 0; i < 7; i++)
    g_assert_false (gn_connection_row_get_closed (row_at (f, i)));
}

static void
test_blocked (Fixture       *f,
              gconstpointer  data)
{
  OpenArgs blocked = { 10, "bad", GN_CONNECTION_KIND_BLOCKED };
  OpenArgs fine = { 5, "good", GN_CONNECTION_KIND_HTTP };
  GnBlockedRow *row;
  guint total = 0;
  GListModel *rows = gn_blocked_model_get_rows (f->blocked);

  on_engine (f, open_records, &blocked);
  on_engine (f, open_records, &fine);
  WAIT_FOR (n_rows (f) == 15);
  /* More batches mention the same connections: still counted once. */
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (5));
  WAIT_FOR (gn_connection_row_get_bytes_up (row_at (f, 14)) == 5);

  /* 10 connections over bad0..bad6: 7 domains, bad0..bad2 twice. */
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 7);
  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(GnBlockedRow) r = g_list_model_get_item (rows, i);
      total += gn_blocked_row_get_count (r);
    }
  g_assert_cmpuint (total, ==, 10);
  row = gn_blocked_model_lookup (f->blocked, "bad1.example");
  g_assert_nonnull (row);
  g_assert_cmpuint (gn_blocked_row_get_count (row), ==, 2);
  g_assert_cmpstr (gn_blocked_row_get_list (row), ==, "Malware");
  g_assert_cmpstr (gn_blocked_row_get_rule (row), ==, "example");
  g_assert_cmpstr (gn_blocked_row_get_client (row), ==, "127.0.0.1");
  g_assert_null (gn_blocked_model_lookup (f->blocked, "good1.example"));

  gn_blocked_model_clear (f->blocked);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 0);
}

static gint64
fake_clock (gpointer data)
{
  return *(gint64 *) data;
}

/* A timed allow shows on the rows it covers (its domain and subdomains,
 * also rows that appear while it lasts) with its end, and goes when it
 * ends; the allowlist's "Allowed now" is separate. */
static void
test_timed_allow (Fixture       *f,
                  gconstpointer  data)
{
  OpenArgs blocked = { 7, "bad", GN_CONNECTION_KIND_BLOCKED };
  OpenArgs sub = { 1, "x.bad", GN_CONNECTION_KIND_BLOCKED };
  g_autofree char *dir = g_dir_make_tmp ("gn-timed-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "timed-rules.json", NULL);
  g_autoptr(GnTimedRules) timed = gn_timed_rules_new (path);
  g_autoptr(GError) error = NULL;
  gint64 t = g_get_real_time ();
  GnBlockedRow *row, *other, *child;
  g_autofree char *text = NULL;
  guint updates;

  gn_timed_rules_set_clock (timed, fake_clock, &t);
  g_assert_true (gn_timed_rules_load (timed, &error));
  g_assert_no_error (error);
  gn_blocked_model_set_timed_rules (f->blocked, timed);

  on_engine (f, open_records, &blocked);
  WAIT_FOR (g_list_model_get_n_items (gn_blocked_model_get_rows (f->blocked)) == 7);
  row = gn_blocked_model_lookup (f->blocked, "bad1.example");
  other = gn_blocked_model_lookup (f->blocked, "bad2.example");
  g_object_get (row, "status-text", &text, NULL);
  g_assert_cmpstr (text, ==, "Blocked");
  g_clear_pointer (&text, g_free);

  updates = f->n_blocked_updated;
  g_assert_true (gn_timed_rules_allow (timed, "bad1.example", 10, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (row), ==, t + 10 * 60 * G_USEC_PER_SEC);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (other), ==, 0);
  g_assert_cmpuint (f->n_blocked_updated, ==, updates + 1);  /* sorted views re-sort */
  g_object_get (row, "status-text", &text, NULL);
  g_assert_true (g_str_has_prefix (text, "Allowed until "));
  g_clear_pointer (&text, g_free);

  /* A subdomain's row that appears while the allow lasts shows it too. */
  on_engine (f, open_records, &sub);
  WAIT_FOR ((child = gn_blocked_model_lookup (f->blocked, "x.bad0.example")) != NULL);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (child), ==, 0);
  g_assert_true (gn_timed_rules_allow (timed, "bad0.example", 5, &error));
  g_assert_cmpint (gn_blocked_row_get_allowed_until (child), ==, t + 5 * 60 * G_USEC_PER_SEC);

  /* The allowlist wins in the text; the timed end stays known. */
  gn_blocked_model_set_allowed (f->blocked, "bad1.example", TRUE);
  g_object_get (row, "status-text", &text, NULL);
  g_assert_cmpstr (text, ==, "Allowed now");
  g_clear_pointer (&text, g_free);
  gn_blocked_model_set_allowed (f->blocked, "bad1.example", FALSE);

  /* Ten minutes later: blocked again, by itself. */
  t += 11 * 60 * G_USEC_PER_SEC;
  gn_timed_rules_check (timed);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (row), ==, 0);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (child), ==, 0);
  g_object_get (row, "status-text", &text, NULL);
  g_assert_cmpstr (text, ==, "Blocked");

  gn_blocked_model_set_timed_rules (f->blocked, NULL);
  g_remove (path);
  g_rmdir (dir);
}

static void
set_app (Fixture    *f,
         guint64     id,
         const char *app)
{
  /* As the application does on GnAppResolver::resolved. */
  gn_blocked_model_set_app (f->blocked, id, app);
  gn_app_stats_set_app (f->apps, id, app);
}

/* Programs: 10 blocked connections over bad0..bad6 and 5 allowed ones; the
 * programs of some are known before their batch, the rest after. */
static void
test_apps (Fixture       *f,
           gconstpointer  data)
{
  OpenArgs blocked = { 10, "bad", GN_CONNECTION_KIND_BLOCKED };
  OpenArgs fine = { 5, "good", GN_CONNECTION_KIND_HTTP };
  GnBlockedRow *row;
  GnAppTotal *total;
  GListModel *totals = gn_app_stats_get_totals (f->apps);

  on_engine (f, open_records, &blocked);
  on_engine (f, open_records, &fine);
  WAIT_FOR (n_rows (f) == 15);
  for (guint i = 0; i < 15; i++)
    {
      /* bad0, bad3, bad6 and good0..4 by firefox, the rest by curl. */
      GnConnectionRow *r = row_at (f, i);
      gboolean firefox = i >= 10 || i % 3 == 0;

      set_app (f, gn_connection_row_get_id (r), firefox ? "firefox" : "curl");
      set_app (f, gn_connection_row_get_id (r), "reported twice");   /* the first stays */
    }
  /* Later batches mention the same connections: nothing counted twice. */
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (5));
  WAIT_FOR (gn_connection_row_get_bytes_up (row_at (f, 14)) == 5);

  g_assert_cmpuint (g_list_model_get_n_items (totals), ==, 2);
  total = gn_app_stats_lookup (f->apps, "firefox");
  g_assert_cmpuint (gn_app_total_get_connections (total), ==, 4 + 5);
  g_assert_cmpuint (gn_app_total_get_blocked (total), ==, 4);
  total = gn_app_stats_lookup (f->apps, "curl");
  g_assert_cmpuint (gn_app_total_get_connections (total), ==, 6);
  g_assert_cmpuint (gn_app_total_get_blocked (total), ==, 6);
  g_assert_null (gn_app_stats_lookup (f->apps, "reported twice"));

  /* Connection i went to bad(i % 7): bad0 got connections 0 and 7. */
  row = gn_blocked_model_lookup (f->blocked, "bad0.example");
  g_assert_cmpuint (gn_blocked_row_get_count (row), ==, 2);
  g_assert_cmpuint (gn_blocked_row_get_app_hits (row, "firefox"), ==, 1);
  g_assert_cmpuint (gn_blocked_row_get_app_hits (row, "curl"), ==, 1);
  g_assert_nonnull (strstr (gn_blocked_row_get_search_text (row), "firefox"));
  g_assert_nonnull (strstr (gn_blocked_row_get_search_text (row), "curl"));
  row = gn_blocked_model_lookup (f->blocked, "bad3.example");
  g_assert_cmpuint (gn_blocked_row_get_count (row), ==, 1);
  g_assert_cmpstr (gn_blocked_row_get_app (row), ==, "firefox");
  g_assert_null (strstr (gn_blocked_row_get_search_text (row), "curl"));
  row = gn_blocked_model_lookup (f->blocked, "bad4.example");
  g_assert_cmpstr (gn_blocked_row_get_app (row), ==, "curl");
}

/* 5,000 rows, then every one of them changes in a batch: no list change. */
static void
test_many (Fixture       *f,
           gconstpointer  data)
{
  OpenArgs args = { 5000, "many", GN_CONNECTION_KIND_TUNNEL };
  guint changed_before;
  gint64 start;

  on_engine (f, open_records, &args);
  WAIT_FOR (n_rows (f) == 5000);
  g_assert_cmpuint (f->n_items_changed, <=, 5);

  changed_before = f->n_items_changed;
  start = g_get_monotonic_time ();
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (7));
  WAIT_FOR (gn_connection_row_get_bytes_up (row_at (f, 4999)) == 7);
  g_test_message ("5000 in-place updates applied within %.1f ms of the write",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (f->n_items_changed, ==, changed_before);

  on_engine (f, close_first, GUINT_TO_POINTER (2500));
  WAIT_FOR (n_rows (f) == 2500);
  /* The oldest 2,500 went in one contiguous removal. */
  g_assert_cmpuint (f->n_items_changed, ==, changed_before + 1);
}

/* Sorted views re-sort on ::rows-updated: once per batch that changed
 * rows in place, before that batch's new rows go in (so they are inserted
 * into an order that is right again), and not for a batch of new rows
 * only. A blocked domain hit again is an update too. */
static void
test_rows_updated (Fixture       *f,
                   gconstpointer  data)
{
  OpenArgs first = { 3, "u", GN_CONNECTION_KIND_TUNNEL };
  OpenArgs more = { 2, "v", GN_CONNECTION_KIND_TUNNEL };
  OpenArgs blocked = { 9, "bad", GN_CONNECTION_KIND_BLOCKED };
  guint batches, updated;

  on_engine (f, open_records, &first);
  WAIT_FOR (n_rows (f) == 3);
  g_assert_cmpuint (f->n_rows_updated, ==, 0);

  batches = f->n_batches;
  on_engine (f, add_bytes_all, GUINT_TO_POINTER (100));
  on_engine (f, open_records, &more);
  WAIT_FOR (n_rows (f) == 5 && gn_connection_row_get_bytes_up (row_at (f, 0)) == 100);
  g_assert_cmpuint (f->n_rows_updated, >=, 1);
  g_assert_cmpuint (f->n_rows_updated, <=, f->n_batches - batches);
  g_assert_cmpuint (f->rows_at_update, ==, 3);

  /* The one-second tick changes durations and rates in place. */
  updated = f->n_rows_updated;
  gn_connection_model_tick (f->model, g_get_real_time () + G_USEC_PER_SEC);
  g_assert_cmpuint (f->n_rows_updated, ==, updated + 1);

  /* bad0..bad6 from 9 connections: the second hits on bad0 and bad1
   * update rows in place. */
  on_engine (f, open_records, &blocked);
  WAIT_FOR (gn_blocked_model_get_n_hits (f->blocked) == 9);
  g_assert_cmpuint (f->n_blocked_updated, >=, 1);
}

/* Heavy churn is throttled: batches of many new rows that arrive less than
 * GN_CONNECTION_MODEL_THROTTLE_MS after the last update are held and
 * applied together, in one insertion, once that interval is over. */
static void
test_throttle (Fixture       *f,
               gconstpointer  data)
{
  OpenArgs args = { GN_CONNECTION_MODEL_BURST_ROWS + 36, "t", GN_CONNECTION_KIND_HTTP };
  guint n = args.n;
  guint changed;
  gint64 first, sent_in;

  on_engine (f, open_records, &args);
  WAIT_FOR (n_rows (f) == n);
  first = f->last_change_us;
  changed = f->n_items_changed;

  /* Three more bursts, each its own batch (the subscription's interval is
   * 50 ms): without the throttle each would be applied within ~50 ms. */
  for (guint i = 0; i < 3; i++)
    {
      guint batches = f->n_batches;

      on_engine (f, open_records, &args);
      WAIT_FOR (f->n_batches > batches);
    }
  sent_in = g_get_monotonic_time () - first;
  WAIT_FOR (n_rows (f) == 4 * n);

  /* Not before the interval since the first update was over. */
  g_assert_cmpint (f->last_change_us - first, >=, (GN_CONNECTION_MODEL_THROTTLE_MS - 50) * 1000);
  if (sent_in < GN_CONNECTION_MODEL_THROTTLE_MS * 1000 * 8 / 10)
    g_assert_cmpuint (f->n_items_changed, ==, changed + 1);
  else
    g_test_message ("the bursts took %.0f ms to arrive: not checking they went in together",
                    sent_in / 1000.0);
  /* In arrival order, as without the throttle. */
  for (guint i = 1; i < 4 * n; i++)
    g_assert_cmpuint (gn_connection_row_get_id (row_at (f, i - 1)), <, gn_connection_row_get_id (row_at (f, i)));

  /* Pausing while batches are held keeps them until updates resume. */
  {
    guint batches = f->n_batches;

    on_engine (f, open_records, &args);
    WAIT_FOR (f->n_batches > batches);
    gn_connection_model_set_paused (f->model, TRUE);
    on_engine (f, open_records, &args);
    WAIT_FOR (f->n_batches > batches + 1);
  }
  {
    gint64 end = g_get_monotonic_time () + (GN_CONNECTION_MODEL_THROTTLE_MS + 200) * 1000;
    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  g_assert_cmpuint (n_rows (f), <, 6 * n);
  /* A program reported for a connection whose row is still held is not
   * lost: the row has it when it is added. */
  g_assert_null (gn_connection_model_lookup (f->model, f->last_added_id));
  gn_connection_model_set_app (f->model, f->last_added_id, "held-app");
  gn_connection_model_set_paused (f->model, FALSE);
  g_assert_cmpuint (n_rows (f), ==, 6 * n);
  g_assert_nonnull (gn_connection_model_lookup (f->model, f->last_added_id));
  g_assert_cmpstr (gn_connection_row_get_app (gn_connection_model_lookup (f->model, f->last_added_id)),
                   ==, "held-app");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ui/models/in-place", Fixture, NULL, fixture_setup, test_in_place, fixture_teardown);
  g_test_add ("/ui/models/pause", Fixture, NULL, fixture_setup, test_pause, fixture_teardown);
  g_test_add ("/ui/models/blocked", Fixture, NULL, fixture_setup, test_blocked, fixture_teardown);
  g_test_add ("/ui/models/timed-allow", Fixture, NULL, fixture_setup, test_timed_allow, fixture_teardown);
  g_test_add ("/ui/models/apps", Fixture, NULL, fixture_setup, test_apps, fixture_teardown);
  g_test_add ("/ui/models/many", Fixture, NULL, fixture_setup, test_many, fixture_teardown);
  g_test_add ("/ui/models/throttle", Fixture, NULL, fixture_setup, test_throttle, fixture_teardown);
  g_test_add ("/ui/models/rows-updated", Fixture, NULL, fixture_setup, test_rows_updated,
              fixture_teardown);

  return g_test_run ();
}
