/* gn-history-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnHistoryStore (see gn-history-store.h).
 *
 * Format. One file per local day, `YYYY-MM-DD.jsonl`, of JSON lines, each
 * an increment:
 *
 *   {"m":29412345,"r":120,"b":7,"u":5120,"d":880213}   minute m (Unix
 *       minutes): r requests, b blocked, u/d bytes up/down more
 *   {"dom":"ads.example","b":3}                        3 more blocks of
 *       ads.example that day
 *
 * A day's figures are the sums of its lines. Why JSON lines and not
 * SQLite: the writes are one small append per flush (every 2 s, whatever
 * the request rate: 1,000 requests/s cost one write(2) + fdatasync of a
 * few hundred bytes, measured in bench/README.md), which needs no index,
 * no transaction log and no new dependency (json-glib is already used;
 * SQLite would be a new library on Linux and in the Windows stack's
 * link). Retention is deleting a file. A kill -9 can only tear the last
 * line, which the reader skips; a damaged line elsewhere is skipped with
 * a warning, the rest of the file is used and the file is kept. What the
 * format does not do well — reading a long day of 2-second increments —
 * is avoided by compaction: when a day is over (at start and every hour)
 * its file is rewritten atomically with one line per minute and per
 * domain (at most a few thousand lines), and the writer keeps every day
 * it has read in memory (30 days × 1,440 minutes is about 1 MiB), so
 * charts never re-read a file.
 *
 * Each flush is fdatasync'd: a kill -9 would not need it (the page cache
 * survives the process), a power cut does, and one sync every 2 s on the
 * writer thread costs the main loop nothing.
 *
 * Threading: see the header. The owner's side (record, flush, timers) and
 * the writer's side (the Writer struct, its cache and files) share only
 * the jobs handed over through a one-thread GThreadPool, which runs them
 * in order, and Writer->error under its mutex.
 */

#include <string.h>

#include "gn-history-store-private.h"

#define USEC_PER_MINUTE   (G_USEC_PER_SEC * G_GINT64_CONSTANT (60))
#define EXPIRE_EVERY_S    3600

G_DEFINE_BOXED_TYPE (GnHistory, gn_history, gn_history_ref, gn_history_unref)

/* ---- days ---- */

Day *
_gn_history_day_new (void)
{
  Day *day = g_new0 (Day, 1);

  day->minutes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  day->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return day;
}

void
_gn_history_day_free (Day *day)
{
  if (day == NULL)
    return;
  g_hash_table_unref (day->minutes);
  g_hash_table_unref (day->domains);
  g_free (day);
}

void
_gn_history_day_add_minute (Day           *day,
                            gint64         minute,
                            const guint64  v[N_FIELDS])
{
  guint64 *counts = g_hash_table_lookup (day->minutes, &minute);

  if (counts == NULL)
    {
      counts = g_new0 (guint64, N_FIELDS);
      g_hash_table_insert (day->minutes, g_memdup2 (&minute, sizeof minute), counts);
    }
  for (guint i = 0; i < N_FIELDS; i++)
    counts[i] += v[i];
}

void
_gn_history_day_add_domain (Day        *day,
                            const char *domain,
                            guint64     n)
{
  guint64 *count = g_hash_table_lookup (day->domains, domain);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (day->domains, g_strdup (domain), count);
    }
  *count += n;
}

void
_gn_history_day_merge (Day       *into,
                       const Day *from)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, from->minutes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    _gn_history_day_add_minute (into, *(gint64 *) key, value);
  g_hash_table_iter_init (&iter, from->domains);
  while (g_hash_table_iter_next (&iter, &key, &value))
    _gn_history_day_add_domain (into, key, *(guint64 *) value);
}

/* "YYYY-MM-DD" of @unix_s in local time. */
char *
_gn_history_day_name (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_s);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("1970-01-01");
}

/* The local day @offset days from @unix_s's. */
char *
_gn_history_day_name_offset (gint64 unix_s,
                             int    offset)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_s);
  g_autoptr(GDateTime) noon = NULL;
  g_autoptr(GDateTime) moved = NULL;

  if (dt == NULL)
    return g_strdup ("1970-01-01");
  /* From noon, so that a DST change never skips or repeats a day. */
  noon = g_date_time_new_local (g_date_time_get_year (dt), g_date_time_get_month (dt),
                                g_date_time_get_day_of_month (dt), 12, 0, 0);
  moved = g_date_time_add_days (noon, offset);
  return g_date_time_format (moved, "%Y-%m-%d");
}

gboolean
_gn_history_is_day_file (const char *name)
{
  static const char pattern[] = "dddd-dd-dd.jsonl";

  if (strlen (name) != sizeof pattern - 1)
    return FALSE;
  for (guint i = 0; pattern[i] != '\0'; i++)
    if (pattern[i] == 'd' ? !g_ascii_isdigit (name[i]) : name[i] != pattern[i])
      return FALSE;
  return TRUE;
}

/* ---- GnHistory ---- */

GnHistory *
_gn_history_new (gint64 from,
                 gint64 to,
                 guint  bucket_s)
{
  GnHistory *h = g_new0 (GnHistory, 1);
  gsize n = (gsize) ((to - from) / bucket_s);

  g_atomic_ref_count_init (&h->ref_count);
  h->from = from;
  h->to = to;
  h->bucket_s = bucket_s;
  h->points = g_array_sized_new (FALSE, TRUE, sizeof (GnHistoryPoint), (guint) n);
  g_array_set_size (h->points, (guint) n);
  for (gsize i = 0; i < n; i++)
    g_array_index (h->points, GnHistoryPoint, i).start = from + (gint64) i * bucket_s;
  h->domains = g_ptr_array_new_with_free_func (_gn_history_domain_free);
  return h;
}

void
_gn_history_domain_free (gpointer data)
{
  GnHistoryDomain *d = data;

  g_free (d->day);
  g_free (d->domain);
  g_free (d);
}

GnHistory *
gn_history_ref (GnHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);
  g_atomic_ref_count_inc (&history->ref_count);
  return history;
}

void
gn_history_unref (GnHistory *history)
{
  g_return_if_fail (history != NULL);
  if (!g_atomic_ref_count_dec (&history->ref_count))
    return;
  g_array_unref (history->points);
  g_ptr_array_unref (history->domains);
  g_free (history);
}

guint64
gn_history_total_requests (GnHistory *history)
{
  guint64 n = 0;

  for (guint i = 0; i < history->points->len; i++)
    n += g_array_index (history->points, GnHistoryPoint, i).requests;
  return n;
}

guint64
gn_history_total_blocked (GnHistory *history)
{
  guint64 n = 0;

  for (guint i = 0; i < history->points->len; i++)
    n += g_array_index (history->points, GnHistoryPoint, i).blocked;
  return n;
}

GnHistoryFormat
gn_history_format_for_path (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path != NULL ? path : "", -1);

  return g_str_has_suffix (lower, ".json") ? GN_HISTORY_FORMAT_JSON : GN_HISTORY_FORMAT_CSV;
}

/* ---- the object ---- */

struct _GnHistoryStore
{
  GObject       parent_instance;

  Writer       *writer;      /* (owned) shared with the writer thread */
  GThreadPool  *pool;        /* one thread: jobs run in order */
  guint         retention;

  /* Owner's side. */
  GHashTable   *pending;     /* day name → Day: recorded, not flushed */
  GHashTable   *counted;     /* ids of blocked connections counted */
  GnCounters    last_total;
  gboolean      have_total;
  gint64        day_minute;  /* the minute day_name was computed for */
  char         *day_name;
  guint         flush_id;
  guint         expire_id;
};

G_DEFINE_FINAL_TYPE (GnHistoryStore, gn_history_store, G_TYPE_OBJECT)

enum {
  WARNING,
  FLUSHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  Writer *writer;   /* (owned) */
  char   *text;     /* (nullable) NULL: flushed */
} Notice;

static gboolean
notice_cb (gpointer data)
{
  Notice *n = data;
  g_autoptr(GObject) object = g_weak_ref_get (&n->writer->self);

  if (object != NULL)
    {
      if (n->text != NULL)
        g_signal_emit (object, signals[WARNING], 0, n->text);
      else
        g_signal_emit (object, signals[FLUSHED], 0);
    }
  return G_SOURCE_REMOVE;
}

static void
notice_free (gpointer data)
{
  Notice *n = data;

  _gn_history_writer_unref (n->writer);
  g_free (n->text);
  g_free (n);
}

/* Writer thread → owner: a warning (@text) or "flushed" (NULL). */
void
_gn_history_writer_notify (Writer     *w,
                           const char *text)
{
  Notice *n = g_new0 (Notice, 1);
  GSource *source = g_idle_source_new ();

  /* The Writer outlives the store until the last notice is gone. */
  n->writer = _gn_history_writer_ref (w);
  n->text = g_strdup (text);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, notice_cb, n, notice_free);
  g_source_set_static_name (source, "[guardnest] history notice");
  g_source_attach (source, w->owner_context);
  g_source_unref (source);
}

static void
flush_now (GnHistoryStore *self)
{
  Job *job;

  if (g_hash_table_size (self->pending) == 0)
    return;
  job = _gn_history_job_new (JOB_WRITE);
  job->days = g_steal_pointer (&self->pending);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) _gn_history_day_free);
  g_thread_pool_push (self->pool, job, NULL);
}

static gboolean
flush_cb (gpointer user_data)
{
  flush_now (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
expire_cb (gpointer user_data)
{
  gn_history_store_expire (user_data, g_get_real_time ());
  return G_SOURCE_CONTINUE;
}

static void
gn_history_store_dispose (GObject *object)
{
  GnHistoryStore *self = (GnHistoryStore *) object;

  if (self->flush_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->writer->owner_context, self->flush_id));
  if (self->expire_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->writer->owner_context, self->expire_id));
  self->flush_id = self->expire_id = 0;
  if (self->pool != NULL)
    {
      /* What was recorded is written before we go. */
      flush_now (self);
      g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
    }

  G_OBJECT_CLASS (gn_history_store_parent_class)->dispose (object);
}

static void
gn_history_store_finalize (GObject *object)
{
  GnHistoryStore *self = (GnHistoryStore *) object;

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->counted, g_hash_table_unref);
  g_clear_pointer (&self->day_name, g_free);
  g_clear_pointer (&self->writer, _gn_history_writer_unref);

  G_OBJECT_CLASS (gn_history_store_parent_class)->finalize (object);
}

static void
gn_history_store_class_init (GnHistoryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gn_history_store_dispose;
  object_class->finalize = gn_history_store_finalize;

  signals[WARNING] = g_signal_new ("warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FLUSHED] = g_signal_new ("flushed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_history_store_init (GnHistoryStore *self)
{
  self->retention = GN_HISTORY_DEFAULT_RETENTION;
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) _gn_history_day_free);
  self->counted = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->day_minute = -1;
}

static guint
add_timer (GnHistoryStore *self,
           GSource        *source,
           GSourceFunc     func,
           const char     *name)
{
  guint id;

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, name);
  id = g_source_attach (source, self->writer->owner_context);
  g_source_unref (source);
  return id;
}

GnHistoryStore *
gn_history_store_new (const char *dir)
{
  GnHistoryStore *self = g_object_new (GN_TYPE_HISTORY_STORE, NULL);
  g_autofree char *default_dir = NULL;

  if (dir == NULL)
    default_dir = g_build_filename (g_get_user_data_dir (), "guardnest", "history", NULL);
  self->writer = _gn_history_writer_new (dir != NULL ? dir : default_dir, G_OBJECT (self));
  self->pool = g_thread_pool_new (_gn_history_writer_run, self->writer, 1, FALSE, NULL);
  /* The timers run where the store is used: its owner's context. */
  self->flush_id = add_timer (self, g_timeout_source_new (GN_HISTORY_FLUSH_MS), flush_cb,
                              "[guardnest] history flush");
  self->expire_id = add_timer (self, g_timeout_source_new_seconds (EXPIRE_EVERY_S), expire_cb,
                               "[guardnest] history expiry");
  gn_history_store_expire (self, g_get_real_time ());
  return self;
}

const char *
gn_history_store_get_dir (GnHistoryStore *self)
{
  g_return_val_if_fail (GN_IS_HISTORY_STORE (self), NULL);
  return self->writer->dir;
}

void
gn_history_store_set_retention_days (GnHistoryStore *self,
                                     guint           days)
{
  g_return_if_fail (GN_IS_HISTORY_STORE (self));

  days = CLAMP (days, 1, GN_HISTORY_MAX_RETENTION);
  if (days == self->retention)
    return;
  self->retention = days;
  gn_history_store_expire (self, g_get_real_time ());
}

guint
gn_history_store_get_retention_days (GnHistoryStore *self)
{
  g_return_val_if_fail (GN_IS_HISTORY_STORE (self), 0);
  return self->retention;
}

static Day *
pending_day (GnHistoryStore *self,
             gint64          now_us)
{
  gint64 minute = now_us / USEC_PER_MINUTE;
  Day *day;

  /* One time-zone lookup a minute, not one a batch. */
  if (minute != self->day_minute)
    {
      g_free (self->day_name);
      self->day_name = _gn_history_day_name (now_us / G_USEC_PER_SEC);
      self->day_minute = minute;
    }
  day = g_hash_table_lookup (self->pending, self->day_name);
  if (day == NULL)
    {
      day = _gn_history_day_new ();
      g_hash_table_insert (self->pending, g_strdup (self->day_name), day);
    }
  return day;
}

void
gn_history_store_record (GnHistoryStore *self,
                         gint64          now_us,
                         guint64         requests,
                         guint64         blocked,
                         guint64         bytes_up,
                         guint64         bytes_down,
                         const char     *blocked_domain)
{
  guint64 v[N_FIELDS] = { requests, blocked, bytes_up, bytes_down };
  Day *day;

  g_return_if_fail (GN_IS_HISTORY_STORE (self));

  day = pending_day (self, now_us);
  if (requests != 0 || blocked != 0 || bytes_up != 0 || bytes_down != 0)
    _gn_history_day_add_minute (day, now_us / USEC_PER_MINUTE, v);
  if (blocked_domain != NULL)
    _gn_history_day_add_domain (day, blocked_domain, 1);
}

static guint64
growth (guint64 now,
        guint64 before)
{
  /* A smaller total: the engine restarted and counts from zero. */
  return now >= before ? now - before : now;
}

static void
count_blocked (GnHistoryStore *self,
               Day            *day,
               GPtrArray      *infos)
{
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (info->kind != GN_CONNECTION_KIND_BLOCKED || info->host == NULL)
        continue;
      if (!g_hash_table_add (self->counted, g_memdup2 (&info->id, sizeof info->id)))
        continue;
      _gn_history_day_add_domain (day, info->host, 1);
    }
}

void
gn_history_store_apply_batch (GnHistoryStore          *self,
                              const GnConnectionBatch *batch,
                              gint64                   now_us)
{
  const GnCounters *t;
  Day *day;

  g_return_if_fail (GN_IS_HISTORY_STORE (self));
  g_return_if_fail (batch != NULL);

  t = &batch->total;
  if (self->have_total)
    gn_history_store_record (self, now_us,
                             growth (t->requests, self->last_total.requests),
                             growth (t->blocked, self->last_total.blocked),
                             growth (t->bytes_up, self->last_total.bytes_up),
                             growth (t->bytes_down, self->last_total.bytes_down),
                             NULL);
  else
    gn_history_store_record (self, now_us, t->requests, t->blocked, t->bytes_up,
                             t->bytes_down, NULL);
  self->last_total = *t;
  self->have_total = TRUE;

  day = pending_day (self, now_us);
  count_blocked (self, day, batch->added);
  count_blocked (self, day, batch->changed);
  for (guint i = 0; batch->removed != NULL && i < batch->removed->len; i++)
    g_hash_table_remove (self->counted, &g_array_index (batch->removed, guint64, i));
}

void
gn_history_store_flush (GnHistoryStore *self)
{
  g_return_if_fail (GN_IS_HISTORY_STORE (self));
  flush_now (self);
}

/* Queues @job and waits for the writer to finish it. */
static void
run_and_wait (GnHistoryStore *self,
              Job            *job)
{
  Waiter waiter = { 0 };

  g_mutex_init (&waiter.mutex);
  g_cond_init (&waiter.cond);
  job->waiter = &waiter;
  g_thread_pool_push (self->pool, job, NULL);
  g_mutex_lock (&waiter.mutex);
  while (!waiter.done)
    g_cond_wait (&waiter.cond, &waiter.mutex);
  g_mutex_unlock (&waiter.mutex);
  g_mutex_clear (&waiter.mutex);
  g_cond_clear (&waiter.cond);
}

gboolean
gn_history_store_sync (GnHistoryStore  *self,
                       GError         **error)
{
  g_autoptr(GError) last = NULL;
  Job *job;

  g_return_val_if_fail (GN_IS_HISTORY_STORE (self), FALSE);

  flush_now (self);
  job = _gn_history_job_new (JOB_SYNC);
  run_and_wait (self, job);
  _gn_history_job_free (job);
  g_mutex_lock (&self->writer->mutex);
  last = g_steal_pointer (&self->writer->error);
  g_mutex_unlock (&self->writer->mutex);
  if (last != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&last));
      return FALSE;
    }
  return TRUE;
}

void
gn_history_store_expire (GnHistoryStore *self,
                         gint64          now_us)
{
  Job *job;

  g_return_if_fail (GN_IS_HISTORY_STORE (self));

  job = _gn_history_job_new (JOB_EXPIRE);
  job->today = _gn_history_day_name (now_us / G_USEC_PER_SEC);
  job->cutoff = _gn_history_day_name_offset (now_us / G_USEC_PER_SEC, 1 - (int) self->retention);
  g_thread_pool_push (self->pool, job, NULL);
}

static Job *
query_job (GnHistoryStore *self,
           gint64          from_s,
           gint64          to_s,
           guint           bucket_s)
{
  Job *job = _gn_history_job_new (JOB_QUERY);

  bucket_s = MAX (60, bucket_s - bucket_s % 60);
  job->bucket_s = bucket_s;
  job->from = from_s - (from_s % bucket_s + bucket_s) % bucket_s;
  job->to = to_s + (bucket_s - (to_s % bucket_s + bucket_s) % bucket_s) % bucket_s;
  if (job->to <= job->from)
    job->to = job->from + bucket_s;
  return job;
}

void
gn_history_store_query_async (GnHistoryStore      *self,
                              gint64               from_s,
                              gint64               to_s,
                              guint                bucket_s,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Job *job;

  g_return_if_fail (GN_IS_HISTORY_STORE (self));

  /* The answer includes what was recorded until now. */
  flush_now (self);
  job = query_job (self, from_s, to_s, bucket_s);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, gn_history_store_query_async);
  g_thread_pool_push (self->pool, job, NULL);
}

GnHistory *
gn_history_store_query_finish (GnHistoryStore  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GnHistory *
gn_history_store_query (GnHistoryStore  *self,
                        gint64           from_s,
                        gint64           to_s,
                        guint            bucket_s,
                        GError         **error)
{
  Job *job;
  GnHistory *result;

  g_return_val_if_fail (GN_IS_HISTORY_STORE (self), NULL);

  flush_now (self);
  job = query_job (self, from_s, to_s, bucket_s);
  run_and_wait (self, job);
  /* The writer left the job to us. */
  result = g_steal_pointer (&job->result);
  _gn_history_job_free (job);
  return result;
}

static Job *
export_job (GnHistoryStore  *self,
            const char      *path,
            GnHistoryFormat  format,
            gint64           now_us)
{
  Job *job = _gn_history_job_new (JOB_EXPORT);

  job->path = g_strdup (path);
  job->format = format;
  job->from = now_us / G_USEC_PER_SEC;   /* "now" */
  job->bucket_s = self->retention;
  return job;
}

void
gn_history_store_export_async (GnHistoryStore      *self,
                               const char          *path,
                               GnHistoryFormat      format,
                               gint64               now_us,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Job *job;

  g_return_if_fail (GN_IS_HISTORY_STORE (self));
  g_return_if_fail (path != NULL);

  flush_now (self);
  job = export_job (self, path, format, now_us);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, gn_history_store_export_async);
  g_thread_pool_push (self->pool, job, NULL);
}

gboolean
gn_history_store_export_finish (GnHistoryStore  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
gn_history_store_export (GnHistoryStore   *self,
                         const char       *path,
                         GnHistoryFormat   format,
                         gint64            now_us,
                         GError          **error)
{
  Job *job;
  gboolean ok;

  g_return_val_if_fail (GN_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  flush_now (self);
  job = export_job (self, path, format, now_us);
  run_and_wait (self, job);
  ok = job->error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&job->error));
  _gn_history_job_free (job);
  return ok;
}

