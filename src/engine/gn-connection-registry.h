/* gn-connection-registry.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The live connection registry: one record per client connection, with its
 * target, kind, state, byte counts, blocklist verdict and error reason, plus
 * the engine's counters.
 *
 * Threading contract:
 *  - The registry's timers live on the engine thread. The engine's worker
 *    threads call gn_connection_registry_open() and the
 *    gn_connection_record_*() functions, each record from the thread that
 *    opened it; they take the registry's lock for a few stores (no
 *    allocation per byte count, no cross-thread call).
 *  - Consumers (the window, the headless log, tests) subscribe with their own
 *    GMainContext. A timer on the engine thread collects what changed and
 *    delivers one GnConnectionBatch to each subscriber's context at most
 *    every interval_ms (a few per second) — never one call per packet.
 *  - gn_connection_registry_snapshot() and gn_connection_registry_close_by_id()
 *    may be called from any thread.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  GN_CONNECTION_KIND_UNKNOWN,  /* request head not read yet */
  GN_CONNECTION_KIND_TUNNEL,   /* CONNECT */
  GN_CONNECTION_KIND_HTTP,     /* plain-HTTP forwarding */
  GN_CONNECTION_KIND_BLOCKED,  /* answered 403 by a blocklist rule */
  GN_CONNECTION_KIND_ERROR,    /* answered 4xx/5xx or failed */
} GnConnectionKind;

typedef enum
{
  GN_CONNECTION_STATE_READING,     /* reading the request head */
  GN_CONNECTION_STATE_CONNECTING,  /* connecting to the origin */
  GN_CONNECTION_STATE_OPEN,        /* tunnel or exchange in progress */
  GN_CONNECTION_STATE_CLOSED,      /* done; kept for the linger time */
} GnConnectionState;

/* Whether the engine looks up the program behind a connection (its
 * GnPeerIdentifier, gn-peer-identifier.h). */
typedef enum
{
  GN_APP_LOOKUP_NONE,     /* it does not: no identifier, or a remote client */
  GN_APP_LOOKUP_PENDING,  /* it is looking: the name comes in a later batch */
  GN_APP_LOOKUP_DONE,     /* it looked: app is the answer, NULL when not found */
} GnAppLookup;

/* An owned, immutable copy of one record, as handed to consumers. Its
 * strings belong to it (they are shared GRefStrings): read or copy them,
 * never free or modify them. */
typedef struct
{
  /*< private >*/
  gatomicrefcount    ref_count;
  /*< public >*/
  guint64            id;
  char              *client_address;  /* (owned) */
  guint16            client_port;
  char              *host;            /* (owned) (nullable) */
  guint16            port;
  GnConnectionKind   kind;
  GnConnectionState  state;
  gint64             started_at;      /* g_get_real_time() */
  gint64             ended_at;        /* 0 while open */
  guint64            bytes_up;        /* client → origin */
  guint64            bytes_down;      /* origin → client */
  guint              status;          /* HTTP status we answered, 0 if none */
  char              *list_name;       /* (owned) (nullable) verdict */
  char              *rule;            /* (owned) (nullable) verdict */
  char              *reason;          /* (owned) (nullable) error text */
  char              *app;             /* (owned) (nullable) the program, found by the engine */
  GnAppLookup        app_lookup;
} GnConnectionInfo;

typedef struct
{
  guint64 connections;   /* accepted client connections */
  guint64 requests;      /* CONNECTs + forwarded requests */
  guint64 blocked;
  guint64 errors;
  guint64 rejected;      /* refused past max-connections */
  guint64 bytes_up;
  guint64 bytes_down;
} GnCounters;

/* What the metrics page shows (gn_connection_registry_get_metrics()):
 * the counters since the engine started and the engine's state. Clear
 * with gn_registry_metrics_clear(). */
typedef struct
{
  GnCounters  total;
  guint       open_now;
  guint64     n_cut;            /* closed because new rules blocked them */
  guint64     n_rules;          /* in the rule set in force */
  guint64     n_allow_rules;
  gint64      rules_since;      /* g_get_real_time() it came into force; 0: never */
  guint       restarts;
  guint       n_draining;       /* connections open on stopped servers */
  GHashTable *blocked_by_list;  /* (owned) list name → guint64 *count */
  GHashTable *errors_by_status; /* (owned) GUINT_TO_POINTER (status, 0: none) → guint64 *count */
} GnRegistryMetrics;

typedef struct
{
  /*< private >*/
  gatomicrefcount  ref_count;
  /*< public >*/
  GPtrArray       *added;      /* (element-type GnConnectionInfo) */
  GPtrArray       *changed;    /* (element-type GnConnectionInfo) */
  GArray          *removed;    /* (element-type guint64) ids gone after lingering */
  GnCounters       total;      /* since the engine started */
  GnCounters       today;      /* since local midnight */
  guint            open_now;
} GnConnectionBatch;

typedef void (*GnConnectionBatchFunc) (const GnConnectionBatch *batch,
                                       gpointer                 user_data);

typedef struct _GnConnectionRecord GnConnectionRecord;   /* its opener's thread only */
typedef void (*GnConnectionCloseFunc) (gpointer close_data);

#define GN_TYPE_CONNECTION_REGISTRY (gn_connection_registry_get_type ())
G_DECLARE_FINAL_TYPE (GnConnectionRegistry, gn_connection_registry, GN, CONNECTION_REGISTRY, GObject)

#define GN_TYPE_CONNECTION_INFO  (gn_connection_info_get_type ())
#define GN_TYPE_CONNECTION_BATCH (gn_connection_batch_get_type ())
GType              gn_connection_info_get_type   (void) G_GNUC_CONST;
GType              gn_connection_batch_get_type  (void) G_GNUC_CONST;
GnConnectionInfo  *gn_connection_info_ref        (GnConnectionInfo  *info);
void               gn_connection_info_unref      (GnConnectionInfo  *info);
GnConnectionBatch *gn_connection_batch_ref       (GnConnectionBatch *batch);
void               gn_connection_batch_unref     (GnConnectionBatch *batch);

/* Created by the engine on its thread (the thread-default context then);
 * batches, linger and midnight timers run on @engine_context. */
GnConnectionRegistry *gn_connection_registry_new          (GMainContext          *engine_context);
void                  gn_connection_registry_set_linger   (GnConnectionRegistry  *self,
                                                           guint                  linger_ms);
/* Closed records kept at most (default 2,000): past it the oldest go at
 * once, whatever their linger time. */
void                  gn_connection_registry_set_max_closed (GnConnectionRegistry *self,
                                                             guint                 max_closed);

/* Any thread. Returns a subscription id for unsubscribe. */
guint                 gn_connection_registry_subscribe    (GnConnectionRegistry  *self,
                                                           GMainContext          *context,
                                                           guint                  interval_ms,
                                                           GnConnectionBatchFunc  func,
                                                           gpointer               user_data,
                                                           GDestroyNotify         destroy);
/* Any thread. No batch is delivered after it returns; @destroy runs on the
 * subscription's context: at once when called there, or once a batch the
 * engine thread was building meanwhile is dropped (the next iteration). */
void                  gn_connection_registry_unsubscribe  (GnConnectionRegistry  *self,
                                                           guint                  subscription);
GPtrArray            *gn_connection_registry_snapshot     (GnConnectionRegistry  *self,
                                                           GnCounters            *total,
                                                           GnCounters            *today);
void                  gn_connection_registry_close_by_id  (GnConnectionRegistry  *self,
                                                           guint64                id);
guint                 gn_connection_registry_get_n_open   (GnConnectionRegistry  *self);
/* Any thread: a copy of the counters and engine state for the metrics. */
void                  gn_connection_registry_get_metrics  (GnConnectionRegistry  *self,
                                                           GnRegistryMetrics     *metrics);
void                  gn_registry_metrics_clear           (GnRegistryMetrics     *metrics);
/* The engine thread: the rule set now in force (its age counts from now),
 * and the restarts and draining connections so far. */
void                  gn_connection_registry_set_rules    (GnConnectionRegistry  *self,
                                                           guint64                n_rules,
                                                           guint64                n_allow_rules);
void                  gn_connection_registry_set_engine_state (GnConnectionRegistry *self,
                                                               guint                 restarts,
                                                               guint                 n_draining);

/* The connection's thread (any thread; close_func, if given, later runs on
 * the thread-default context of the caller of open()). */
GnConnectionRecord   *gn_connection_registry_open         (GnConnectionRegistry  *self,
                                                           const char            *client_address,
                                                           guint16                client_port,
                                                           GnConnectionCloseFunc  close_func,
                                                           gpointer               close_data);
void                  gn_connection_registry_count_rejected (GnConnectionRegistry *self);
guint64               gn_connection_record_get_id         (GnConnectionRecord    *record);
void                  gn_connection_record_set_target     (GnConnectionRecord    *record,
                                                           const char            *host,
                                                           guint16                port,
                                                           GnConnectionKind       kind);
void                  gn_connection_record_set_state      (GnConnectionRecord    *record,
                                                           GnConnectionState      state);
void                  gn_connection_record_set_verdict    (GnConnectionRecord    *record,
                                                           const char            *list_name,
                                                           const char            *rule);
void                  gn_connection_record_set_error      (GnConnectionRecord    *record,
                                                           guint                  status,
                                                           const char            *reason);
/* A connection closed because the rules changed and now block its target
 * ("Closed: now blocked"): its verdict and @reason, without counting it as
 * a block or an error. */
void                  gn_connection_record_set_now_blocked (GnConnectionRecord   *record,
                                                            const char           *list_name,
                                                            const char           *rule,
                                                            const char           *reason);
void                  gn_connection_record_set_status     (GnConnectionRecord    *record,
                                                           guint                  status);
void                  gn_connection_record_count_request  (GnConnectionRecord    *record);
/* The engine started looking up the program behind the connection… */
void                  gn_connection_record_start_app_lookup (GnConnectionRecord  *record);
/* …and found @app (nullable: not found). */
void                  gn_connection_record_set_app        (GnConnectionRecord    *record,
                                                           const char            *app);
void                  gn_connection_record_add_bytes      (GnConnectionRecord    *record,
                                                           guint64                up,
                                                           guint64                down);
/* Marks the record closed; the registry frees it after the linger time. */
void                  gn_connection_registry_close        (GnConnectionRegistry  *self,
                                                           GnConnectionRecord    *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnConnectionInfo, gn_connection_info_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnConnectionBatch, gn_connection_batch_unref)

G_END_DECLS
