/* gn-connection-registry-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internals of the connection registry, shared by its two files
 * (gn-connection-registry.c: subscribers, batches, linger, cross-thread
 * calls; gn-connection-record.c: the record API the workers call and the
 * boxed types) and by the tests (moving "local midnight"). Everything here
 * is guarded by the registry's `lock` unless the field comment says
 * otherwise; the functions below expect the caller to hold it.
 */

#pragma once

#include "gn-connection-registry.h"

G_BEGIN_DECLS

struct _GnConnectionRecord
{
  GnConnectionRegistry  *registry;          /* (unowned) */
  GList                  link;              /* in registry->changed */
  GList                  closed_link;       /* in registry->closed */
  guint64                serial;            /* generation of the last change */
  guint64                created_gen;
  gint64                 closed_mono;       /* g_get_monotonic_time() when closed */

  guint64                id;
  char                  *client_address;    /* (owned) GRefString */
  guint16                client_port;
  char                  *host;              /* (owned) GRefString (nullable) */
  guint16                port;
  GnConnectionKind       kind;
  GnConnectionState      state;
  gint64                 started_at;
  gint64                 ended_at;
  guint64                bytes_up;
  guint64                bytes_down;
  guint                  status;
  char                  *list_name;         /* (owned) GRefString (nullable) */
  char                  *rule;              /* (owned) GRefString (nullable) */
  char                  *reason;            /* (owned) GRefString (nullable) */
  char                  *app;               /* (owned) GRefString (nullable) */
  GnAppLookup            app_lookup;

  GnConnectionCloseFunc  close_func;        /* (nullable) cleared once closed */
  gpointer               close_data;
  GMainContext          *context;           /* (owned) (nullable) the opener's, while open */
};

struct _GnConnectionRegistry
{
  GObject        parent_instance;

  GMainContext  *context;      /* (owned) the engine context: timers run there */

  GMutex         lock;         /* guards everything below but the atomics */
  GHashTable    *records;      /* id → GnConnectionRecord (owned) */
  GQueue         changed;      /* every record, ordered by serial */
  GQueue         closed;       /* closed records, ordered by close time */
  GArray        *removals;     /* (element-type Removal) */
  guint64        next_id;
  guint64        gen;
  gboolean       gen_dirty;    /* something changed during `gen` */
  guint64        counters_serial;
  GnCounters     total;
  GnCounters     today;
  gint64         next_midnight; /* real time of the next local midnight */
  GSource       *linger_source; /* (owned) (nullable) */
  gint64         linger_due;    /* monotonic time it is armed for */
  GSource       *midnight_source; /* (owned) (nullable) */

  /* For the metrics page (gn_connection_registry_get_metrics()), since
   * the engine started; under the lock. */
  GHashTable    *blocked_by_list;  /* (owned) list name → guint64 (owned) */
  GHashTable    *errors_by_status; /* (owned) status → guint64 (owned) */
  guint64        n_cut;        /* closed because new rules blocked them */
  guint64        n_rules;
  guint64        n_allow_rules;
  gint64         rules_since;  /* g_get_real_time() when the rules came */
  guint          restarts;
  guint          n_draining;

  GPtrArray     *subscribers;  /* (element-type Subscriber) */
  guint          next_sub_id;

  /* Any thread, no lock. */
  guint          linger_ms;    /* atomic */
  guint          max_closed;   /* atomic: closed records kept at most */
  gint           n_open;       /* atomic */
};

/* Under the lock: one more block by @list_name (nullable), one more error
 * with @status (0: none answered), for the metrics. */
void               _gn_connection_registry_count_blocked  (GnConnectionRegistry     *self,
                                                           const char               *list_name);
void               _gn_connection_registry_count_error    (GnConnectionRegistry     *self,
                                                           guint                     status);
void               _gn_connection_registry_mark_dirty     (GnConnectionRegistry     *self);
void               _gn_connection_registry_check_midnight (GnConnectionRegistry     *self);
void               _gn_connection_registry_linger_arm     (GnConnectionRegistry     *self);
GnConnectionInfo  *_gn_connection_info_new_from_record    (const GnConnectionRecord *record);
GnConnectionBatch *_gn_connection_batch_new               (void);
void               _gn_connection_record_free             (GnConnectionRecord       *record);

/* A record changed: move it to the tail of `changed` once per generation.
 * Caller holds the registry's lock. */
static inline void
_gn_connection_record_touch (GnConnectionRecord *record)
{
  GnConnectionRegistry *self = record->registry;

  if (record->serial == self->gen)
    return;
  record->serial = self->gen;
  g_queue_unlink (&self->changed, &record->link);
  g_queue_push_tail_link (&self->changed, &record->link);
  _gn_connection_registry_mark_dirty (self);
}

static inline void
_gn_connection_registry_counters_touch (GnConnectionRegistry *self)
{
  if (self->counters_serial == self->gen)
    return;
  self->counters_serial = self->gen;
  _gn_connection_registry_mark_dirty (self);
}


/* The next reset of the "today" counters, in g_get_real_time() units; after
 * it the registry goes back to the real local midnight. Takes the lock. */
void _gn_connection_registry_set_next_midnight (GnConnectionRegistry *self,
                                                gint64                real_time);

G_END_DECLS
