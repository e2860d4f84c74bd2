/* gn-proxy-server-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What gn-proxy-server.c (lifecycle, connections, draining) and
 * gn-proxy-accept.c (the listening socket and accepting) share of a
 * GnProxyServer. Nothing else includes this.
 *
 * Threading: see the comments at the top of both files; every field says
 * who may touch it.
 */

#pragma once

#include <gio/gio.h>

#include "gn-listener-context.h"
#include "gn-proxy-server.h"

G_BEGIN_DECLS

#define GN_PROXY_MAX_REJECTING 1024
#define GN_PROXY_ACCEPT_BATCH 64

/* Who accepts (gn-proxy-accept.c); one choice per process. */
typedef enum
{
  GN_ACCEPT_ENGINE,     /* the engine thread, handing connections over */
  GN_ACCEPT_POLLED,     /* every worker polls the one listening socket */
  GN_ACCEPT_REUSEPORT,  /* one SO_REUSEPORT listening socket per worker */
} GnAcceptMode;

typedef struct
{
  GnProxyServer *server;   /* (unowned) the slot's owner */
  GnWorker *worker;        /* (unowned) outlives the server */
  GSocket  *listener;      /* (unowned) (nullable) the socket this worker accepts on */
  GQueue    connections;   /* (element-type GnProxyConnection) counted; worker only */
  GQueue    rejecting;     /* answering 503, not counted; worker only */
  /* Workers accepting: the worker's own source on the listening socket,
   * or its back-off timer. Created and destroyed by the engine thread
   * under the writer lock, by the worker under the reader lock. */
  GSource  *accept_source; /* (owned) (nullable) */
  GSource  *backoff_timer; /* (owned) (nullable) */
} Slot;

struct _GnProxyServer
{
  gatomicrefcount       ref_count;    /* the engine's, plus one per posted op or source */

  /* Immutable while connections exist */
  GnEngineConfig       *config;       /* (owned) */
  GnConnectionRegistry *registry;     /* (owned) (nullable) */
  GMainContext         *context;      /* (owned) the engine context */
  GInetAddress         *bind_address; /* (owned) (nullable) */
  guint16               port;
  /* (owned) (nullable) from start on: what the connections see of us;
   * holds the atomics n_connections, draining and listening */
  GnListenerContext    *lctx;
  Slot                 *slots;        /* (owned) one per worker */
  guint                 n_slots;
  GnAcceptMode          accept_mode;

  guint                 max_rejecting; /* 503 answers in flight, within the fd budget */

  /* Any thread, atomic */
  gint                  n_rejecting;
  gint                  n_live;       /* connections + the running token */
  int                   spare_fd;     /* -1 or a descriptor to give up for a 503 at the limit */

  /* Workers accepting: a worker holds the reader lock while it accepts
   * (or swaps its source for a back-off timer); the engine thread takes
   * the writer lock to start or stop every worker's accepting, so once
   * it has cleared `accepting`, no worker is inside accept() and none will
   * be again: the socket can be handed over or closed. */
  GRWLock               accept_lock;
  gboolean              accepting;    /* under accept_lock */

  /* The current rules for new connections: written by the engine thread
   * under blocklist_lock, read there without it and by workers with it. */
  GMutex                blocklist_lock;
  GnBlocklist          *blocklist;    /* (owned) */

  /* Engine thread */
  /* (owned) (nullable) (element-type GSocket) while listening: one, or
   * one per worker (GN_ACCEPT_REUSEPORT); workers read them while
   * `accepting` */
  GPtrArray            *listeners;
  GSource              *accept_source; /* (owned) (nullable) engine accepting */
  GSource              *backoff_timer; /* (owned) (nullable) instead of accept_source, for a moment */
  guint                 next_slot;
  GSource              *drain_timer;  /* (owned) (nullable) */
  GnProxyServerStoppedFunc stopped_func;
  gpointer              stopped_data;
};

typedef struct
{
  GSocket  *socket;    /* (owned) */
  gboolean  rejected;
} GnAccepted;

/* Work posted to a worker: new connections, or an op on its slot. */
typedef struct
{
  GnProxyServer *server;      /* (owned) */
  guint          slot;
  GArray        *accepted;    /* (owned) (nullable) (element-type GnAccepted) new connections */
  GnBlocklist   *blocklist;   /* (owned) (nullable) their rules */
} GnSlotOp;

/* gn-proxy-server.c */
GnProxyServer *gn_proxy_server_ref_internal   (GnProxyServer *self);
void           gn_proxy_server_unref_internal (gpointer       self);
/* Engine thread: runs @func with @op (taken) on the slot's worker. */
void           gn_proxy_server_post           (GnProxyServer *self,
                                               guint          slot,
                                               GSourceFunc    func,
                                               GnSlotOp      *op);
gboolean       gn_proxy_server_start_connections_cb (gpointer data);
/* Worker thread: a connection for @socket (taken) on @slot, counted by
 * the caller in n_live and in n_connections or n_rejecting. */
void           gn_proxy_server_add_connection (GnProxyServer *self,
                                               Slot          *slot,
                                               GSocket       *socket,
                                               gboolean       rejected,
                                               GnBlocklist   *blocklist);

/* gn-proxy-accept.c */
/* The listening sockets for @self's mode, bound to @address (port 0: one
 * the kernel picks). */
GPtrArray     *gn_proxy_accept_bind           (GnProxyServer  *self,
                                               GSocketAddress *address,
                                               GError        **error);
void           gn_proxy_accept_close_sockets  (GPtrArray     *listeners,
                                               gboolean       shut);
void           gn_proxy_accept_attach         (GnProxyServer *self,
                                               GPtrArray     *listeners);
GPtrArray     *gn_proxy_accept_steal          (GnProxyServer *self);
void           gn_proxy_accept_close          (GnProxyServer *self);
/* Engine thread: stops every accepting but the engine thread's and takes
 * in, on the engine thread, whatever the kernel has queued. */
void           gn_proxy_accept_take_queued    (GnProxyServer *self);
GPtrArray     *gn_proxy_accept_rebind_in_place_of (GnProxyServer  *previous,
                                                   GnProxyServer  *self,
                                                   GSocketAddress *address,
                                                   GError        **error);
GnAcceptMode   gn_proxy_accept_mode_for       (guint          n_workers);

G_END_DECLS
