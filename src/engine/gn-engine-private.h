/* gn-engine-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine's inside, shared by gn-engine.c (the object, its thread, the
 * owner-side notifications and the public calls) and gn-engine-ops.c (the
 * start/stop/restart operations, draining servers and blocklist swaps on
 * the engine thread). Not installed, not used outside these two files.
 *
 * Threading: as gn-engine.c describes; each field says who touches it.
 */

#pragma once

#include "gn-engine.h"
#include "gn-proxy-server.h"
#include "gn-worker.h"

G_BEGIN_DECLS

/* How often n-draining is recounted while servers drain. */
#define N_DRAINING_INTERVAL_MS 100

typedef enum
{
  OP_START,
  OP_STOP,
  OP_RESTART,
  OP_QUIT,
} OpKind;

typedef struct
{
  GnEngine     *engine;     /* (unowned) alive until the op completes */
  OpKind        kind;
  gboolean      done;       /* under the engine's lock */
  GError       *error;      /* (owned) (nullable) */
  GTask        *task;       /* (owned) (nullable) owner thread only */
  guint64       drain_seq;  /* stops: complete when no server up to this drains */
} Op;

/* A stopped server, draining in the background. */
typedef struct
{
  GnEngine      *engine;    /* (unowned) */
  GnProxyServer *server;    /* (owned) */
  guint64        seq;
} Draining;

/* How the engine thread reaches the object on the owner's context. */
typedef struct
{
  gatomicrefcount ref_count;
  GWeakRef        engine;
} Notifier;

struct _GnEngine
{
  GObject               parent_instance;

  /* Shared, under lock (finalizing: atomic) */
  GMutex                lock;
  GCond                 cond;
  GnEngineConfig       *config;      /* (owned) used by the next start */
  GnBlocklist          *blocklist;   /* (owned) */
  GnPeerIdentifier     *peer_identifier; /* (owned) (nullable) put in each server's config */
  GnEngineStatus        status;
  GError               *error;       /* (owned) (nullable) */
  guint16               port;
  guint                 max_connections; /* the running server's, within the fd budget */
  guint                 n_draining;
  gboolean              thread_ready;
  gint                  finalizing;  /* (atomic) no more notifications */

  /* Owner thread */
  GMainContext         *owner_context; /* (owned) */
  GnEngineStatus        notified_status;
  guint                 notified_n_draining;
  GThread              *thread;      /* (owned) */
  Notifier             *notifier;    /* (owned) */

  /* Engine thread (set before thread_ready, read-only elsewhere) */
  GMainContext         *context;     /* (owned) */
  GMainLoop            *loop;        /* (owned) */
  GnConnectionRegistry *registry;    /* (owned) */
  GPtrArray            *workers;     /* (owned) (element-type GnWorker) engine thread */
  GnProxyServer        *server;      /* (owned) (nullable) engine thread: the one accepting */
  GPtrArray            *draining;    /* (owned) (element-type Draining) engine thread, by seq */
  guint64               last_seq;    /* engine thread: of the last server stopped */
  GQueue                stops;       /* (element-type Op) engine thread: waiting for drains */
  GSource              *count_timer; /* (owned) (nullable) engine thread, while draining */
  guint                 restarts;    /* engine thread: restarts that took effect */
};

/* Any thread. */
void     gn_engine_post_to             (GMainContext   *context,
                                        gint            priority,
                                        GSourceFunc     func,
                                        gpointer        data,
                                        GDestroyNotify  notify);
/* Engine thread (gn-engine.c). */
void     gn_engine_schedule_notify     (GnEngine       *self);
/* Owner thread (gn-engine-ops.c). */
gboolean gn_engine_run_op_sync         (GnEngine       *self,
                                        OpKind          kind,
                                        GError        **error);
void     gn_engine_run_op_async        (GnEngine       *self,
                                        OpKind          kind,
                                        GTask          *task);
/* Engine thread, as a GSourceFunc with the engine. */
gboolean gn_engine_apply_blocklist_cb  (gpointer        user_data);

G_END_DECLS
