/* gn-peer-wait.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPeerWait: one client connection's question to the GnPeerIdentifier
 * (gn-peer-identifier.h) and the blocked answer that waits for it. Embedded
 * in GnProxyConnection: started as the connection starts; an answer handed
 * to gn_peer_wait_hold() while the question is open is kept, and given back
 * through the release callback when the identifier answers or after the
 * bound, whichever comes first, never blocking the thread.
 *
 * The owner passes ref/unref functions: the question holds a reference on
 * the owner until the identifier answers (at once when the cancellable is
 * cancelled, see gn-peer-identifier.h).
 *
 * Threading: the owner's thread (a worker), whose thread-default context
 * runs the callbacks and the timer.
 */

#pragma once

#include "gn-peer-identifier.h"

G_BEGIN_DECLS

/* The identifier named the program (@app nullable: not found). Not called
 * once cleared. */
typedef void (*GnPeerWaitNamedFunc)   (const char *app,
                                       gpointer    data);
/* Send @answer (transfer full) now. */
typedef void (*GnPeerWaitReleaseFunc) (GString    *answer,
                                       gpointer    data);

typedef struct
{
  /*< private >*/
  GnPeerIdentifier      *identifier;  /* (unowned) the config's */
  gboolean               asking;
  gboolean               cleared;
  GString               *held;        /* (owned) (nullable) */
  GSource               *timer;       /* (owned) (nullable) */
  GnPeerWaitNamedFunc    named;
  GnPeerWaitReleaseFunc  release;
  gpointer               data;
  GDestroyNotify         unref;
} GnPeerWait;

/* Asks which program holds the client end (@client) of the connection to
 * us (@server); @ref is called on @data for the question's reference. */
void     gn_peer_wait_start (GnPeerWait            *self,
                             GnPeerIdentifier      *identifier,
                             GSocketAddress        *client,
                             GSocketAddress        *server,
                             GCancellable          *cancellable,
                             GnPeerWaitNamedFunc    named,
                             GnPeerWaitReleaseFunc  release,
                             gpointer               data,
                             gpointer             (*ref) (gpointer),
                             GDestroyNotify         unref);
/* Keeps @answer (taken) until the identifier answers, @bound_ms at most,
 * and returns TRUE; FALSE (@answer not taken) when no question is open or
 * an answer is already kept. */
gboolean gn_peer_wait_hold  (GnPeerWait            *self,
                             GString               *answer,
                             guint                  bound_ms);
/* Drops a kept answer and the timer; no callback after it. */
void     gn_peer_wait_clear (GnPeerWait            *self);

G_END_DECLS
