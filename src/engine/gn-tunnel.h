/* gn-tunnel.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnTunnel joins two sockets with two GnPumps (client → origin and
 * origin → client): after a CONNECT, and after a "101 Switching Protocols"
 * (WebSocket). One side's end of stream shuts down the write side of the
 * other; the tunnel is done when both directions are done, or at the first
 * error. An idle timer ends it only when *both* directions have been quiet
 * for the idle timeout, so a WebSocket that only receives stays up. Both
 * pumps move bulk bytes with splice(2) where it exists (gn-splice.h).
 *
 * Threading: one worker thread (the connection's) only.
 */

#pragma once

#include <gio/gio.h>

#include "gn-buffer-pool.h"

G_BEGIN_DECLS

typedef struct _GnTunnel GnTunnel;

typedef void (*GnTunnelBytesFunc) (guint64   up,
                                   guint64   down,
                                   gpointer  user_data);
/* @error is NULL when both directions ended cleanly. The tunnel may be
 * freed from this callback. */
typedef void (*GnTunnelDoneFunc)  (GnTunnel     *tunnel,
                                   const GError *error,
                                   gpointer      user_data);

GnTunnel *gn_tunnel_new          (GnBufferPool      *pool,
                                  GSocket           *client,
                                  GSocket           *origin,
                                  GCancellable      *cancellable,
                                  guint              idle_timeout_s);
void      gn_tunnel_free         (GnTunnel          *self);
/* Bytes already read from either side, forwarded first. */
void      gn_tunnel_set_prefixes (GnTunnel          *self,
                                  GBytes            *to_origin,
                                  GBytes            *to_client);
void      gn_tunnel_start        (GnTunnel          *self,
                                  GnTunnelBytesFunc  bytes_func,
                                  GnTunnelDoneFunc   done_func,
                                  gpointer           user_data);
guint64   gn_tunnel_get_bytes_up   (GnTunnel        *self);
guint64   gn_tunnel_get_bytes_down (GnTunnel        *self);

G_END_DECLS
