/* test-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tests of the connection registry with real threads: an "engine" thread
 * with its own GMainContext owns the registry and drives records (as the
 * proxy does), and the test's main thread subscribes on its own context,
 * rebuilds the connection table from the batches it receives and compares
 * it with what the engine thread really did.
 */

#include "gn-connection-registry-private.h"

/* ------------------------------------------------------------------------ */
/* An engine-like thread                                                    */

typedef struct
{
  GThread              *thread;
  GMainContext         *context;
  GMainLoop            *loop;
  GnConnectionRegistry *registry;
} Engine;

static gpointer
engine_thread (gpointer data)
{
  Engine *engine = data;

  g_main_context_push_thread_default (engine->context);
  g_main_loop_run (engine->loop);
  g_main_context_pop_thread_default (engine->context);
  return NULL;
}

typedef struct
{
  GSourceFunc func;
  gpointer    data;
  gboolean    done;
  GMutex      mutex;
  GCond       cond;
} SyncCall;

static gboolean
sync_call_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (call->data);
  g_mutex_lock (&call->mutex);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the engine thread and waits for it. */
static void
engine_run (Engine      *engine,
            GSourceFunc  func,
            gpointer     data)
{
  SyncCall call = { func, data, FALSE };

  g_mutex_init (&call.mutex);
  g_cond_init (&call.cond);
  g_main_context_invoke (engine->context, sync_call_cb, &call);
  g_mutex_lock (&call.mutex);
  while (!call.done)
    g_cond_wait (&call.cond, &call.mutex);
  g_mutex_unlock (&call.mutex);
  g_mutex_clear (&call.mutex);
  g_cond_clear (&call.cond);
}

static gboolean
create_registry_cb (gpointer data)
{
  Engine *engine = data;

  engine->registry = gn_connection_registry_new (engine->context);
  return G_SOURCE_REMOVE;
}

static gboolean
free_registry_cb (gpointer data)
{
  Engine *engine = data;

  g_assert_finalize_object (engine->registry);
  engine->registry = NULL;
  return G_SOURCE_REMOVE;
}

static Engine *
engine_new (void)
{
  Engine *engine = g_new0 (Engine, 1);

  engine->context = g_main_context_new ();
  engine->loop = g_main_loop_new (engine->context, FALSE);
  engine->thread = g_thread_new ("test-engine", engine_thread, engine);
  engine_run (engine, create_registry_cb, engine);
  return engine;
}

static void
engine_free (Engine *engine)
{
  engine_run (engine, free_registry_cb, engine);
  g_main_loop_quit (engine->loop);
  g_thread_join (engine->thread);
  g_main_loop_unref (engine->loop);
  g_main_context_unref (engine->context);
  g_free (engine);
}

/* ------------------------------------------------------------------------ */
/* A subscriber that rebuilds the table                                     */

typedef struct
{
  GHashTable        *table;       /* id → GnConnectionInfo */
  guint              deliveries;
  guint              n_added;
  guint              n_changed;
  guint              n_removed;
  GnConnectionBatch *last;        /* (owned) (nullable) */
  GArray            *removed_at;  /* monotonic time of each removal */
  gboolean           destroyed;
  GThread           *thread;
} Table;

static void
table_init (Table *table)
{
  table->table = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                        (GDestroyNotify) gn_connection_info_unref);
  table->removed_at = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
table_clear (Table *table)
{
  g_hash_table_unref (table->table);
  g_array_unref (table->removed_at);
  g_clear_pointer (&table->last, gn_connection_batch_unref);
}

static void
table_destroy_cb (gpointer data)
{
  ((Table *) data)->destroyed = TRUE;
}

static void
table_batch_cb (const GnConnectionBatch *batch,
                gpointer                 data)
{
  Table *table = data;
  gint64 now = g_get_monotonic_time ();

  g_assert_true (g_thread_self () == table->thread);
  g_assert_true (batch->added->len + batch->changed->len + batch->removed->len > 0 ||
                 table->last == NULL ||
                 memcmp (&batch->total, &table->last->total, sizeof batch->total) != 0 ||
                 memcmp (&batch->today, &table->last->today, sizeof batch->today) != 0 ||
                 batch->open_now != table->last->open_now);

  table->deliveries++;
  for (guint i = 0; i < batch->added->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (batch->added, i);

      g_assert_false (g_hash_table_contains (table->table, &info->id));
      g_hash_table_insert (table->table, &info->id, gn_connection_info_ref (info));
      table->n_added++;
    }
  for (guint i = 0; i < batch->changed->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (batch->changed, i);

      g_assert_true (g_hash_table_contains (table->table, &info->id));
      g_hash_table_replace (table->table, &info->id, gn_connection_info_ref (info));
      table->n_changed++;
    }
  for (guint i = 0; i < batch->removed->len; i++)
    {
      guint64 id = g_array_index (batch->removed, guint64, i);

      g_assert_true (g_hash_table_remove (table->table, &id));
      g_array_append_val (table->removed_at, now);
      table->n_removed++;
    }
  g_clear_pointer (&table->last, gn_connection_batch_unref);
  table->last = gn_connection_batch_ref ((GnConnectionBatch *) batch);
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
      g_main_context_iteration (NULL, FALSE);
    }
}

/* Waits (iterating the main context) until @expr holds; fails after @ms,
 * so a slow machine waits longer instead of failing. */
#define WAIT_UNTIL(expr, ms) \
  G_STMT_START { \
    gint64 _end = g_get_monotonic_time () + (gint64) (ms) * 1000; \
    while (!(expr)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, _end); \
        iterate_for (5); \
      } \
  } G_STMT_END

/* ------------------------------------------------------------------------ */
/* The workload: what the engine thread did, to compare with               */

#define N_CONNS 60

typedef struct
{
  Engine             *engine;
  GnConnectionRecord *records[N_CONNS];
  guint64             ids[N_CONNS];
  guint64             up[N_CONNS];
  guint64             down[N_CONNS];
  gboolean            closed[N_CONNS];
  GnConnectionKind    kind[N_CONNS];
  guint               n_updates;
  guint               ticks_left;
  gboolean            finished;
  GRand              *rand;
  GThread            *close_thread;   /* where close_func ran */
  guint               close_calls;
} Workload;

static gboolean
open_all_cb (gpointer data)
{
  Workload *work = data;
  GnConnectionRegistry *registry = work->engine->registry;

  for (guint i = 0; i < N_CONNS; i++)
    {
      g_autofree char *host = g_strdup_printf ("host%u.example", i);

      work->records[i] = gn_connection_registry_open (registry, "127.0.0.1",
                                                      (guint16) (40000 + i),
                                                      NULL, NULL);
      work->ids[i] = gn_connection_record_get_id (work->records[i]);
      work->kind[i] = i % 3 == 0 ? GN_CONNECTION_KIND_TUNNEL : GN_CONNECTION_KIND_HTTP;
      gn_connection_record_set_target (work->records[i], host, 443, work->kind[i]);
      gn_connection_record_set_state (work->records[i], GN_CONNECTION_STATE_OPEN);
      gn_connection_record_count_request (work->records[i]);
    }
  return G_SOURCE_REMOVE;
}

/* 25 updates per millisecond tick, on random open records. */
static gboolean
work_tick_cb (gpointer data)
{
  Workload *work = data;

  for (guint n = 0; n < 25; n++)
    {
      guint i = (guint) g_rand_int_range (work->rand, 0, N_CONNS);
      guint64 up = (guint64) g_rand_int_range (work->rand, 0, 70000);
      guint64 down = (guint64) g_rand_int_range (work->rand, 0, 300000);

      if (work->closed[i])
        continue;
      gn_connection_record_add_bytes (work->records[i], up, down);
      work->up[i] += up;
      work->down[i] += down;
      work->n_updates++;
    }

  /* Close a few connections along the way. */
  if (work->ticks_left % 50 == 0)
    {
      guint i = (guint) g_rand_int_range (work->rand, 0, N_CONNS);

      if (!work->closed[i])
        {
          gn_connection_registry_close (work->engine->registry, work->records[i]);
          work->closed[i] = TRUE;
        }
    }

  if (--work->ticks_left > 0)
    return G_SOURCE_CONTINUE;
  work->finished = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
start_work_cb (gpointer data)
{
  Workload *work = data;
  GSource *source = g_timeout_source_new (1);

  g_source_set_callback (source, work_tick_cb, work, NULL);
  g_source_attach (source, work->engine->context);
  g_source_unref (source);
  return G_SOURCE_REMOVE;
}

static gboolean
close_all_cb (gpointer data)
{
  Workload *work = data;

  for (guint i = 0; i < N_CONNS; i++)
    if (!work->closed[i])
      {
        gn_connection_registry_close (work->engine->registry, work->records[i]);
        work->closed[i] = TRUE;
      }
  return G_SOURCE_REMOVE;
}

static guint64
work_sum_down (Workload *work)
{
  guint64 sum = 0;

  for (guint i = 0; i < N_CONNS; i++)
    sum += work->down[i];
  return sum;
}

static void
assert_table_matches (Table    *table,
                      Workload *work)
{
  guint64 sum_up = 0, sum_down = 0;

  g_assert_cmpuint (g_hash_table_size (table->table), ==, N_CONNS);
  for (guint i = 0; i < N_CONNS; i++)
    {
      GnConnectionInfo *info = g_hash_table_lookup (table->table, &work->ids[i]);
      g_autofree char *host = g_strdup_printf ("host%u.example", i);

      g_assert_nonnull (info);
      g_assert_cmpuint (info->bytes_up, ==, work->up[i]);
      g_assert_cmpuint (info->bytes_down, ==, work->down[i]);
      g_assert_cmpstr (info->host, ==, host);
      g_assert_cmpuint (info->port, ==, 443);
      g_assert_cmpstr (info->client_address, ==, "127.0.0.1");
      g_assert_cmpuint (info->client_port, ==, 40000 + i);
      g_assert_cmpint (info->kind, ==, work->kind[i]);
      g_assert_cmpint (info->state, ==, work->closed[i] ? GN_CONNECTION_STATE_CLOSED
                                                        : GN_CONNECTION_STATE_OPEN);
      g_assert_cmpint (info->ended_at != 0, ==, work->closed[i]);
      sum_up += work->up[i];
      sum_down += work->down[i];
    }
  g_assert_cmpuint (table->last->total.bytes_up, ==, sum_up);
  g_assert_cmpuint (table->last->total.bytes_down, ==, sum_down);
  g_assert_cmpuint (table->last->today.bytes_up, ==, sum_up);
  g_assert_cmpuint (table->last->total.connections, ==, N_CONNS);
  g_assert_cmpuint (table->last->total.requests, ==, N_CONNS);
}

static void
test_batched_and_exact (void)
{
  Engine *engine = engine_new ();
  Workload work = { engine };
  Table table = { 0 };
  guint sub;
  gint64 start, elapsed_ms;
  guint deliveries;

  table_init (&table);
  table.thread = g_thread_self ();
  work.rand = g_rand_new_with_seed (1234);
  work.ticks_left = 1000;

  sub = gn_connection_registry_subscribe (engine->registry, NULL, 100,
                                          table_batch_cb, &table, table_destroy_cb);
  engine_run (engine, open_all_cb, &work);
  start = g_get_monotonic_time ();
  engine_run (engine, start_work_cb, &work);
  while (!g_atomic_int_get (&work.finished))
    iterate_for (10);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  /* The last batch. */
  WAIT_UNTIL (table.last != NULL && table.last->total.bytes_down == work_sum_down (&work), 5000);

  g_test_message ("%u updates in %" G_GINT64_FORMAT " ms → %u deliveries "
                  "(%u added, %u changed)", work.n_updates, elapsed_ms,
                  table.deliveries, table.n_added, table.n_changed);
  g_assert_cmpuint (work.n_updates, >, 10000);
  /* One batch per 100 ms at most, plus the first and the last. */
  g_assert_cmpuint (table.deliveries, >=, 2);
  g_assert_cmpuint (table.deliveries, <=, elapsed_ms / 100 + 4);
  g_assert_cmpuint (table.n_added, ==, N_CONNS);
  assert_table_matches (&table, &work);
  g_assert_cmpuint (table.last->open_now, ==,
                    gn_connection_registry_get_n_open (engine->registry));

  /* Nothing changes, nothing is delivered. */
  deliveries = table.deliveries;
  iterate_for (400);
  g_assert_cmpuint (table.deliveries, ==, deliveries);

  engine_run (engine, close_all_cb, &work);
  WAIT_UNTIL (table.last->open_now == 0, 5000);
  iterate_for (200);
  g_assert_cmpuint (table.deliveries, ==, deliveries + 1);
  g_assert_cmpuint (table.last->open_now, ==, 0);
  g_assert_cmpuint (gn_connection_registry_get_n_open (engine->registry), ==, 0);
  assert_table_matches (&table, &work);
  /* The default linger (60 s) keeps them all. */
  g_assert_cmpuint (table.n_removed, ==, 0);

  gn_connection_registry_unsubscribe (engine->registry, sub);
  WAIT_UNTIL (table.destroyed, 5000);
  engine_free (engine);
  g_rand_free (work.rand);
  table_clear (&table);
}

static void
test_snapshot_consistent (void)
{
  Engine *engine = engine_new ();
  Workload work = { engine };
  guint n_snapshots = 0;

  work.rand = g_rand_new_with_seed (99);
  work.ticks_left = 600;
  engine_run (engine, open_all_cb, &work);
  engine_run (engine, start_work_cb, &work);

  /* Snapshots taken from this thread while the engine thread updates are
   * each one instant: the records add up to the counters. */
  while (!g_atomic_int_get (&work.finished))
    {
      GnCounters total, today;
      g_autoptr(GPtrArray) infos = gn_connection_registry_snapshot (engine->registry,
                                                                     &total, &today);
      guint64 up = 0, down = 0;

      g_assert_cmpuint (infos->len, ==, N_CONNS);
      for (guint i = 0; i < infos->len; i++)
        {
          GnConnectionInfo *info = g_ptr_array_index (infos, i);

          if (i > 0)
            g_assert_cmpuint (info->id, >, ((GnConnectionInfo *) g_ptr_array_index (infos, i - 1))->id);
          up += info->bytes_up;
          down += info->bytes_down;
        }
      g_assert_cmpuint (up, ==, total.bytes_up);
      g_assert_cmpuint (down, ==, total.bytes_down);
      g_assert_cmpuint (today.bytes_up, ==, total.bytes_up);
      g_assert_cmpuint (total.connections, ==, N_CONNS);
      n_snapshots++;
      g_usleep (2000);
    }
  g_assert_cmpuint (n_snapshots, >, 10);

  {
    g_autoptr(GPtrArray) infos = gn_connection_registry_snapshot (engine->registry, NULL, NULL);

    for (guint i = 0; i < N_CONNS; i++)
      {
        GnConnectionInfo *info = g_ptr_array_index (infos, i);

        g_assert_cmpuint (info->id, ==, work.ids[i]);
        g_assert_cmpuint (info->bytes_up, ==, work.up[i]);
        g_assert_cmpuint (info->bytes_down, ==, work.down[i]);
      }
  }

  engine_free (engine);
  g_rand_free (work.rand);
}

/* ------------------------------------------------------------------------ */
/* Linger                                                                   */

typedef struct
{
  Engine             *engine;
  GnConnectionRecord *records[10];
  guint64             ids[10];
  gint64              closed_at;
} LingerData;

static gboolean
linger_open_cb (gpointer data)
{
  LingerData *ld = data;

  for (guint i = 0; i < G_N_ELEMENTS (ld->records); i++)
    {
      ld->records[i] = gn_connection_registry_open (ld->engine->registry, "::1",
                                                    (guint16) (1000 + i), NULL, NULL);
      ld->ids[i] = gn_connection_record_get_id (ld->records[i]);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
linger_close_cb (gpointer data)
{
  LingerData *ld = data;

  /* Close the even ones only. */
  ld->closed_at = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (ld->records); i += 2)
    gn_connection_registry_close (ld->engine->registry, ld->records[i]);
  return G_SOURCE_REMOVE;
}

static void
test_linger (void)
{
  Engine *engine = engine_new ();
  LingerData ld = { engine };
  Table table = { 0 };
  guint sub;
  g_autoptr(GPtrArray) infos = NULL;

  table_init (&table);
  table.thread = g_thread_self ();
  gn_connection_registry_set_linger (engine->registry, 800);
  sub = gn_connection_registry_subscribe (engine->registry, NULL, 50,
                                          table_batch_cb, &table, table_destroy_cb);
  engine_run (engine, linger_open_cb, &ld);
  WAIT_UNTIL (g_hash_table_size (table.table) == 10, 5000);
  g_assert_cmpuint (g_hash_table_size (table.table), ==, 10);

  engine_run (engine, linger_close_cb, &ld);
  WAIT_UNTIL (table.last->open_now == 5, 5000);
  /* Closed, still visible (the removal time itself is checked below,
   * whatever the machine's load). */
  if (g_get_monotonic_time () - ld.closed_at < 700 * 1000)
    {
      g_assert_cmpuint (table.n_removed, ==, 0);
      g_assert_cmpuint (g_hash_table_size (table.table), ==, 10);
      for (guint i = 0; i < 10; i += 2)
        {
          GnConnectionInfo *info = g_hash_table_lookup (table.table, &ld.ids[i]);
          g_assert_cmpint (info->state, ==, GN_CONNECTION_STATE_CLOSED);
        }
    }

  WAIT_UNTIL (table.n_removed == 5, 5000);
  iterate_for (100);
  g_assert_cmpuint (table.n_removed, ==, 5);
  for (guint i = 0; i < table.removed_at->len; i++)
    g_assert_cmpint (g_array_index (table.removed_at, gint64, i) - ld.closed_at, >=, 800 * 1000);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (g_hash_table_contains (table.table, &ld.ids[i]), ==, i % 2 == 1);

  infos = gn_connection_registry_snapshot (engine->registry, NULL, NULL);
  g_assert_cmpuint (infos->len, ==, 5);

  gn_connection_registry_unsubscribe (engine->registry, sub);
  engine_free (engine);
  table_clear (&table);
}

/* ------------------------------------------------------------------------ */
/* max_closed: a burst costs a bounded number of closed records             */

#define BURST 300
#define KEEP 20

static gboolean
burst_cb (gpointer data)
{
  Engine *engine = data;

  for (guint i = 0; i < BURST; i++)
    {
      GnConnectionRecord *record = gn_connection_registry_open (engine->registry, "127.0.0.1",
                                                                (guint16) (2000 + i), NULL, NULL);
      gn_connection_registry_close (engine->registry, record);
    }
  return G_SOURCE_REMOVE;
}

static void
test_max_closed (void)
{
  Engine *engine = engine_new ();
  Table table = { 0 };
  g_autoptr(GPtrArray) infos = NULL;
  guint sub;

  table_init (&table);
  table.thread = g_thread_self ();
  /* A long linger: only the cap can free them within the test. */
  gn_connection_registry_set_linger (engine->registry, 600 * 1000);
  gn_connection_registry_set_max_closed (engine->registry, KEEP);
  sub = gn_connection_registry_subscribe (engine->registry, NULL, 50,
                                          table_batch_cb, &table, table_destroy_cb);
  engine_run (engine, burst_cb, engine);
  /* The subscriber ends up with the newest KEEP (records that came and
   * went between two batches are never announced at all). */
  WAIT_UNTIL (g_hash_table_size (table.table) == KEEP && table.last != NULL &&
              table.last->open_now == 0, 5000);
  iterate_for (200);
  g_assert_cmpuint (g_hash_table_size (table.table), ==, KEEP);
  infos = gn_connection_registry_snapshot (engine->registry, NULL, NULL);
  g_assert_cmpuint (infos->len, ==, KEEP);
  /* The newest are the ones kept. */
  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      g_assert_cmpuint (info->client_port, >=, 2000 + BURST - KEEP);
    }

  gn_connection_registry_unsubscribe (engine->registry, sub);
  engine_free (engine);
  table_clear (&table);
}

/* ------------------------------------------------------------------------ */
/* close_by_id                                                              */

typedef struct
{
  Engine             *engine;
  GnConnectionRecord *record;
  guint64             id;
  GThread            *called_on;
  guint               calls;
} CloseData;

static void
close_by_id_func (gpointer data)
{
  CloseData *cd = data;

  cd->called_on = g_thread_self ();
  cd->calls++;
  /* The proxy would cancel the connection; here it ends at once. */
  gn_connection_registry_close (cd->engine->registry, cd->record);
}

static gboolean
close_open_cb (gpointer data)
{
  CloseData *cd = data;

  cd->record = gn_connection_registry_open (cd->engine->registry, "127.0.0.1", 5555,
                                            close_by_id_func, cd);
  cd->id = gn_connection_record_get_id (cd->record);
  return G_SOURCE_REMOVE;
}

static gboolean
nop_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
test_close_by_id (void)
{
  Engine *engine = engine_new ();
  CloseData cd = { engine };
  g_autoptr(GPtrArray) infos = NULL;

  engine_run (engine, close_open_cb, &cd);
  g_assert_cmpuint (gn_connection_registry_get_n_open (engine->registry), ==, 1);

  gn_connection_registry_close_by_id (engine->registry, cd.id);
  gn_connection_registry_close_by_id (engine->registry, cd.id);      /* twice: once */
  gn_connection_registry_close_by_id (engine->registry, cd.id + 100); /* unknown */
  engine_run (engine, nop_cb, NULL);   /* after the queued closes */

  g_assert_cmpuint (cd.calls, ==, 1);
  g_assert_true (cd.called_on == engine->thread);
  g_assert_cmpuint (gn_connection_registry_get_n_open (engine->registry), ==, 0);
  infos = gn_connection_registry_snapshot (engine->registry, NULL, NULL);
  g_assert_cmpuint (infos->len, ==, 1);
  g_assert_cmpint (((GnConnectionInfo *) infos->pdata[0])->state, ==, GN_CONNECTION_STATE_CLOSED);

  engine_free (engine);
}

/* ------------------------------------------------------------------------ */
/* Unsubscribe, several subscribers, counters                               */

typedef struct
{
  Engine             *engine;
  GnConnectionRecord *record;
} OneData;

static gboolean
one_open_cb (gpointer data)
{
  OneData *od = data;

  od->record = gn_connection_registry_open (od->engine->registry, "127.0.0.1", 1, NULL, NULL);
  gn_connection_record_set_target (od->record, "blocked.example", 80, GN_CONNECTION_KIND_BLOCKED);
  gn_connection_record_set_verdict (od->record, "malware", "example");
  gn_connection_record_set_status (od->record, 403);
  gn_connection_registry_count_rejected (od->engine->registry);
  return G_SOURCE_REMOVE;
}

static gboolean
one_bytes_cb (gpointer data)
{
  OneData *od = data;

  gn_connection_record_add_bytes (od->record, 1, 2);
  return G_SOURCE_REMOVE;
}

static gboolean
one_error_cb (gpointer data)
{
  OneData *od = data;

  gn_connection_record_set_error (od->record, 502, "Connection refused");
  gn_connection_registry_close (od->engine->registry, od->record);
  return G_SOURCE_REMOVE;
}

static void
test_unsubscribe_and_counters (void)
{
  Engine *engine = engine_new ();
  OneData od = { engine };
  Table fast = { 0 }, slow = { 0 };
  guint sub_fast, sub_slow;
  GnConnectionInfo *info;
  guint64 id;

  table_init (&fast);
  table_init (&slow);
  fast.thread = slow.thread = g_thread_self ();
  engine_run (engine, one_open_cb, &od);
  id = gn_connection_record_get_id (od.record);

  /* A late subscriber's first batch carries the current state. */
  sub_fast = gn_connection_registry_subscribe (engine->registry, NULL, 50,
                                               table_batch_cb, &fast, table_destroy_cb);
  sub_slow = gn_connection_registry_subscribe (engine->registry, NULL, 300,
                                               table_batch_cb, &slow, table_destroy_cb);
  WAIT_UNTIL (fast.deliveries >= 1 && slow.deliveries >= 1, 5000);
  iterate_for (100);
  g_assert_cmpuint (fast.deliveries, ==, 1);
  g_assert_cmpuint (slow.deliveries, ==, 1);
  info = g_hash_table_lookup (slow.table, &id);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->list_name, ==, "malware");
  g_assert_cmpstr (info->rule, ==, "example");
  g_assert_cmpuint (info->status, ==, 403);
  g_assert_cmpint (info->kind, ==, GN_CONNECTION_KIND_BLOCKED);
  g_assert_cmpuint (slow.last->total.blocked, ==, 1);
  g_assert_cmpuint (slow.last->total.rejected, ==, 1);
  g_assert_cmpuint (slow.last->today.rejected, ==, 1);
  g_assert_cmpuint (slow.last->open_now, ==, 1);

  gn_connection_registry_unsubscribe (engine->registry, sub_fast);
  WAIT_UNTIL (fast.destroyed, 5000);
  g_assert_false (slow.destroyed);

  for (guint i = 0; i < 20; i++)
    {
      engine_run (engine, one_bytes_cb, &od);
      iterate_for (20);
    }
  engine_run (engine, one_error_cb, &od);
  WAIT_UNTIL (slow.last->open_now == 0, 5000);

  g_assert_cmpuint (fast.deliveries, ==, 1);
  /* 20 updates over ~400 ms, 300 ms apart at most: a handful of batches. */
  g_assert_cmpuint (slow.deliveries, >=, 2);
  g_assert_cmpuint (slow.deliveries, <=, 5);
  info = g_hash_table_lookup (slow.table, &id);
  g_assert_cmpuint (info->bytes_up, ==, 20);
  g_assert_cmpuint (info->bytes_down, ==, 40);
  g_assert_cmpuint (info->status, ==, 502);
  g_assert_cmpstr (info->reason, ==, "Connection refused");
  g_assert_cmpint (info->state, ==, GN_CONNECTION_STATE_CLOSED);
  g_assert_cmpuint (slow.last->total.errors, ==, 1);
  g_assert_cmpuint (slow.last->today.errors, ==, 1);
  g_assert_cmpuint (slow.last->open_now, ==, 0);

  gn_connection_registry_unsubscribe (engine->registry, sub_slow);
  /* A batch the engine thread was building at that moment holds the
   * subscription until it is dropped on this context. */
  WAIT_UNTIL (slow.destroyed, 5000);
  engine_free (engine);
  table_clear (&fast);
  table_clear (&slow);
}

/* ------------------------------------------------------------------------ */
/* Daily counters                                                           */

static gboolean
midnight_soon_cb (gpointer data)
{
  OneData *od = data;

  od->record = gn_connection_registry_open (od->engine->registry, "127.0.0.1", 2, NULL, NULL);
  gn_connection_record_add_bytes (od->record, 100, 1000);
  gn_connection_registry_count_rejected (od->engine->registry);
  _gn_connection_registry_set_next_midnight (od->engine->registry,
                                             g_get_real_time () + 300 * 1000);
  return G_SOURCE_REMOVE;
}

static gboolean
after_midnight_cb (gpointer data)
{
  OneData *od = data;

  gn_connection_record_add_bytes (od->record, 1, 10);
  return G_SOURCE_REMOVE;
}

static void
test_midnight (void)
{
  Engine *engine = engine_new ();
  OneData od = { engine };
  Table table = { 0 };
  GnCounters total, today;
  guint sub, deliveries;
  g_autoptr(GPtrArray) infos = NULL;

  table_init (&table);
  table.thread = g_thread_self ();
  sub = gn_connection_registry_subscribe (engine->registry, NULL, 50,
                                          table_batch_cb, &table, table_destroy_cb);
  engine_run (engine, midnight_soon_cb, &od);
  WAIT_UNTIL (table.last != NULL, 5000);
  g_assert_cmpuint (table.last->today.bytes_down, ==, 1000);
  g_assert_cmpuint (table.last->today.connections, ==, 1);
  g_assert_cmpuint (table.last->today.rejected, ==, 1);

  /* Midnight passes with no traffic: a batch still brings the reset. */
  deliveries = table.deliveries;
  WAIT_UNTIL (table.last->today.connections == 0, 5000);
  g_assert_cmpuint (table.deliveries, ==, deliveries + 1);
  g_assert_cmpuint (table.last->today.connections, ==, 0);
  g_assert_cmpuint (table.last->today.bytes_down, ==, 0);
  g_assert_cmpuint (table.last->today.rejected, ==, 0);
  g_assert_cmpuint (table.last->total.connections, ==, 1);
  g_assert_cmpuint (table.last->total.bytes_down, ==, 1000);
  g_assert_cmpuint (table.last->total.rejected, ==, 1);
  g_assert_cmpuint (table.last->open_now, ==, 1);

  /* Traffic after midnight counts towards the new day only. */
  engine_run (engine, after_midnight_cb, &od);
  infos = gn_connection_registry_snapshot (engine->registry, &total, &today);
  g_assert_cmpuint (today.bytes_up, ==, 1);
  g_assert_cmpuint (today.bytes_down, ==, 10);
  g_assert_cmpuint (total.bytes_up, ==, 101);
  g_assert_cmpuint (total.bytes_down, ==, 1010);
  g_assert_cmpuint (((GnConnectionInfo *) infos->pdata[0])->bytes_down, ==, 1010);

  gn_connection_registry_unsubscribe (engine->registry, sub);
  engine_free (engine);
  table_clear (&table);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/registry/batched-and-exact", test_batched_and_exact);
  g_test_add_func ("/registry/snapshot-consistent", test_snapshot_consistent);
  g_test_add_func ("/registry/linger", test_linger);
  g_test_add_func ("/registry/max-closed", test_max_closed);
  g_test_add_func ("/registry/close-by-id", test_close_by_id);
  g_test_add_func ("/registry/unsubscribe-and-counters", test_unsubscribe_and_counters);
  g_test_add_func ("/registry/midnight", test_midnight);
  return g_test_run ();
}
