/* gn-history-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnHistoryStore: the statistics that outlive a run — requests, blocks
 * and bytes per minute, and how often each domain was blocked per day —
 * kept on disk (one file of JSON lines per local day under
 * `$XDG_DATA_HOME/guardnest/history`), with a retention in days, queries
 * for the charts (any range, any bucket size) and export to CSV or JSON.
 * See gn-history-store.c for the format and why it was chosen.
 *
 * Threading contract: the object is used from one thread, its owner (the
 * main thread, which feeds it the registry's batches). Recording only adds
 * to in-memory totals there; every GN_HISTORY_FLUSH_MS the totals go, as
 * one job, to the store's single writer thread, which appends them to the
 * day's file. Queries and exports run on that same thread, after every
 * write queued before them, and answer on the owner's thread-default main
 * context. A crash (kill -9) loses what was recorded since the last flush.
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_HISTORY_FLUSH_MS             2000
#define GN_HISTORY_DEFAULT_RETENTION    30
#define GN_HISTORY_MAX_RETENTION        3650

typedef enum
{
  GN_HISTORY_FORMAT_CSV,
  GN_HISTORY_FORMAT_JSON,
} GnHistoryFormat;

typedef struct
{
  gint64  start;        /* Unix seconds: the bucket's first second */
  guint64 requests;
  guint64 blocked;
  guint64 bytes_up;
  guint64 bytes_down;
} GnHistoryPoint;

typedef struct
{
  char   *day;          /* local date, "YYYY-MM-DD" */
  char   *domain;
  guint64 blocked;
} GnHistoryDomain;

/* A query's answer: one point per bucket over [from, to) (empty buckets
 * included), and the domains blocked on the days the range touches. */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;
  /*< public >*/
  gint64     from;      /* Unix seconds, a multiple of bucket_s */
  gint64     to;
  guint      bucket_s;
  GArray    *points;    /* (element-type GnHistoryPoint) oldest first */
  GPtrArray *domains;   /* (element-type GnHistoryDomain) by day, then most blocked */
} GnHistory;

#define GN_TYPE_HISTORY (gn_history_get_type ())
GType       gn_history_get_type       (void) G_GNUC_CONST;
GnHistory  *gn_history_ref            (GnHistory *history);
void        gn_history_unref          (GnHistory *history);
guint64     gn_history_total_requests (GnHistory *history);
guint64     gn_history_total_blocked  (GnHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnHistory, gn_history_unref)

/* .json → JSON, anything else CSV. */
GnHistoryFormat gn_history_format_for_path (const char *path);

#define GN_TYPE_HISTORY_STORE (gn_history_store_get_type ())
G_DECLARE_FINAL_TYPE (GnHistoryStore, gn_history_store, GN, HISTORY_STORE, GObject)

/* @dir: (nullable): the folder of the day files; NULL for
 * g_get_user_data_dir()/guardnest/history. Created on the first write.
 * Days older than the retention are deleted at once (on the writer) and
 * then every hour. */
GnHistoryStore *gn_history_store_new          (const char              *dir);
const char     *gn_history_store_get_dir      (GnHistoryStore          *self);
void            gn_history_store_set_retention_days (GnHistoryStore    *self,
                                                     guint              days);
guint           gn_history_store_get_retention_days (GnHistoryStore    *self);

/* Feeds one registry batch: the growth of the engine's running totals goes
 * into the minute of @now_us, and each newly blocked connection counts for
 * its domain on @now_us's local day. Cheap: no I/O, no allocation per
 * connection beyond the blocked ones' ids. */
void            gn_history_store_apply_batch  (GnHistoryStore          *self,
                                               const GnConnectionBatch *batch,
                                               gint64                   now_us);
/* What apply_batch adds, given directly (tests, benches, imports). */
void            gn_history_store_record       (GnHistoryStore          *self,
                                               gint64                   now_us,
                                               guint64                  requests,
                                               guint64                  blocked,
                                               guint64                  bytes_up,
                                               guint64                  bytes_down,
                                               const char              *blocked_domain);
/* Hands what was recorded to the writer now (normally every
 * GN_HISTORY_FLUSH_MS). */
void            gn_history_store_flush        (GnHistoryStore          *self);
/* Flushes and waits for the writer: everything recorded is on disk. FALSE
 * with the writer's last error if a write failed since the last call. */
gboolean        gn_history_store_sync         (GnHistoryStore          *self,
                                               GError                 **error);
/* Deletes the days before (the local day of @now_us − retention + 1), and
 * rewrites finished days in their compact form. Queued on the writer. */
void            gn_history_store_expire       (GnHistoryStore          *self,
                                               gint64                   now_us);

/* [@from_s, @to_s) in Unix seconds, in buckets of @bucket_s seconds (a
 * multiple of 60); @from_s is rounded down and @to_s up to a bucket. */
void            gn_history_store_query_async  (GnHistoryStore          *self,
                                               gint64                   from_s,
                                               gint64                   to_s,
                                               guint                    bucket_s,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
GnHistory      *gn_history_store_query_finish (GnHistoryStore          *self,
                                               GAsyncResult            *result,
                                               GError                 **error);
GnHistory      *gn_history_store_query        (GnHistoryStore          *self,
                                               gint64                   from_s,
                                               gint64                   to_s,
                                               guint                    bucket_s,
                                               GError                 **error);

/* Writes @path (atomically): the per-minute series of the 24 hours before
 * @now_us, the per-hour series of the whole retention, and the blocked
 * domains per day. CSV columns: series,start,domain,requests,blocked,
 * bytes_up,bytes_down (series is "minute", "hour" or "domain"; start is
 * ISO 8601 UTC, or the local date for "domain"). JSON:
 * {"version":1,"generated":…,"minutes":[…],"hours":[…],"blocked_domains":[…]}. */
void            gn_history_store_export_async  (GnHistoryStore        *self,
                                                const char            *path,
                                                GnHistoryFormat        format,
                                                gint64                 now_us,
                                                GCancellable          *cancellable,
                                                GAsyncReadyCallback    callback,
                                                gpointer               user_data);
gboolean        gn_history_store_export_finish (GnHistoryStore        *self,
                                                GAsyncResult          *result,
                                                GError               **error);
gboolean        gn_history_store_export        (GnHistoryStore        *self,
                                                const char            *path,
                                                GnHistoryFormat        format,
                                                gint64                 now_us,
                                                GError               **error);

/* Signals:
 *   "warning" (const char *text): a damaged day file (its readable lines
 *     are used, the file is kept), a failed write; on the owner's thread.
 *   "flushed": a batch reached the disk (on the owner's thread). */

G_END_DECLS
