/* gn-history-store-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What gn-history-store.c (the owner's side) and gn-history-writer.c (the
 * writer thread) share: the Day aggregate, the jobs, the Writer.
 *
 * Threading: a Day belongs to one side at a time (pending on the owner,
 * handed over inside a WRITE job, then the writer's); the Writer's fields
 * are the writer thread's except dir, self and owner_context (set once)
 * and error (under mutex).
 */

#pragma once

#include "gn-history-store.h"

G_BEGIN_DECLS

enum { F_REQUESTS, F_BLOCKED, F_BYTES_UP, F_BYTES_DOWN, N_FIELDS };

typedef struct
{
  GHashTable *minutes;   /* gint64 * Unix minute → guint64[N_FIELDS] */
  GHashTable *domains;   /* char * → guint64 * */
  guint       n_lines;   /* lines read from its file (compaction) */
} Day;

typedef enum { JOB_WRITE, JOB_EXPIRE, JOB_QUERY, JOB_EXPORT, JOB_SYNC } JobKind;

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean done;
} Waiter;

typedef struct
{
  JobKind          kind;
  GHashTable      *days;       /* WRITE: day name → Day */
  char            *today;      /* EXPIRE */
  char            *cutoff;     /* EXPIRE: days before it go */
  gint64           from, to;   /* QUERY: seconds; EXPORT: from = now */
  guint            bucket_s;   /* QUERY; EXPORT: the retention in days */
  char            *path;       /* EXPORT */
  GnHistoryFormat  format;     /* EXPORT */
  GTask           *task;       /* (nullable) async: the writer answers and frees */
  Waiter          *waiter;     /* (nullable) sync: the writer signals, the caller frees */
  GnHistory       *result;     /* QUERY, sync */
  GError          *error;      /* EXPORT, sync */
} Job;

typedef struct
{
  gatomicrefcount ref_count;
  char           *dir;
  GWeakRef        self;            /* the GnHistoryStore */
  GMainContext   *owner_context;
  GMutex          mutex;
  GError         *error;           /* (nullable) last failed write, under mutex */
  /* The writer thread's own: */
  GHashTable     *cache;           /* day name → Day, every day read, kept current */
  GHashTable     *tail_checked;    /* day names whose file end was checked */
} Writer;

Day       *_gn_history_day_new         (void);
void       _gn_history_day_free        (Day           *day);
void       _gn_history_day_add_minute  (Day           *day,
                                        gint64         minute,
                                        const guint64  v[N_FIELDS]);
void       _gn_history_day_add_domain  (Day           *day,
                                        const char    *domain,
                                        guint64        n);
void       _gn_history_day_merge       (Day           *into,
                                        const Day     *from);
void       _gn_history_day_to_lines    (const Day     *day,
                                        GString       *out);
char      *_gn_history_day_name        (gint64         unix_s);
char      *_gn_history_day_name_offset (gint64         unix_s,
                                        int            offset);
gboolean   _gn_history_is_day_file     (const char    *name);

GnHistory *_gn_history_new             (gint64         from,
                                        gint64         to,
                                        guint          bucket_s);
void       _gn_history_domain_free     (gpointer       data);

Job       *_gn_history_job_new         (JobKind        kind);
void       _gn_history_job_free        (Job           *job);

Writer    *_gn_history_writer_new      (const char    *dir,
                                        GObject       *self);
Writer    *_gn_history_writer_ref      (Writer        *w);
void       _gn_history_writer_unref    (Writer        *w);
void       _gn_history_writer_run      (gpointer       job,
                                        gpointer       writer);
void       _gn_history_writer_notify   (Writer        *w,
                                        const char    *text);

/* gn-history-export.c: the file's text. */
char      *_gn_history_export_text     (GnHistory     *minutes,
                                        GnHistory     *hours,
                                        GnHistoryFormat format,
                                        gint64         now_s,
                                        gsize         *length);

G_END_DECLS
