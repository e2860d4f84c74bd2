/* gn-tunnel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two pumps and an idle timer (see gn-tunnel.h). The timer is one source per
 * tunnel that re-arms itself for the time left since the last byte in
 * either direction, so traffic never touches it.
 *
 * Threading: one worker thread (the connection's) only.
 */

#include <glib/gi18n.h>

#include "gn-pump.h"
#include "gn-tunnel.h"

struct _GnTunnel
{
  GnPump            *up;        /* (owned) client → origin */
  GnPump            *down;      /* (owned) origin → client */
  GSource           *idle;      /* (owned) (nullable) */
  guint              idle_timeout_s;
  guint              n_done;
  gboolean           finished;

  GnTunnelBytesFunc  bytes_func;
  GnTunnelDoneFunc   done_func;
  gpointer           user_data;
};

GnTunnel *
gn_tunnel_new (GnBufferPool *pool,
               GSocket      *client,
               GSocket      *origin,
               GCancellable *cancellable,
               guint         idle_timeout_s)
{
  GnTunnel *self = g_new0 (GnTunnel, 1);

  self->up = gn_pump_new (pool, client, origin, cancellable);
  self->down = gn_pump_new (pool, origin, client, cancellable);
  gn_pump_set_shutdown_on_eof (self->up, TRUE);
  gn_pump_set_shutdown_on_eof (self->down, TRUE);
  /* Raw bytes both ways: zero copy once a direction proves bulk. */
  gn_pump_set_splice (self->up, TRUE);
  gn_pump_set_splice (self->down, TRUE);
  self->idle_timeout_s = idle_timeout_s;
  return self;
}

static void
clear_idle (GnTunnel *self)
{
  if (self->idle != NULL)
    {
      g_source_destroy (self->idle);
      g_clear_pointer (&self->idle, g_source_unref);
    }
}

void
gn_tunnel_free (GnTunnel *self)
{
  if (self == NULL)
    return;

  clear_idle (self);
  g_clear_pointer (&self->up, gn_pump_free);
  g_clear_pointer (&self->down, gn_pump_free);
  g_free (self);
}

void
gn_tunnel_set_prefixes (GnTunnel *self,
                        GBytes   *to_origin,
                        GBytes   *to_client)
{
  if (to_origin != NULL)
    gn_pump_set_prefix (self->up, g_bytes_get_data (to_origin, NULL), g_bytes_get_size (to_origin));
  if (to_client != NULL)
    gn_pump_set_prefix (self->down, g_bytes_get_data (to_client, NULL), g_bytes_get_size (to_client));
}

guint64
gn_tunnel_get_bytes_up (GnTunnel *self)
{
  return gn_pump_get_bytes (self->up);
}

guint64
gn_tunnel_get_bytes_down (GnTunnel *self)
{
  return gn_pump_get_bytes (self->down);
}

static void
finish (GnTunnel     *self,
        const GError *error)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  clear_idle (self);
  self->done_func (self, error, self->user_data);
}

static void
on_progress (GnPump   *pump,
             gsize     n,
             gpointer  user_data)
{
  GnTunnel *self = user_data;

  if (self->bytes_func != NULL)
    self->bytes_func (pump == self->up ? n : 0, pump == self->down ? n : 0, self->user_data);
}

static void
on_pump_done (GnPump       *pump,
              const GError *error,
              gpointer      user_data)
{
  GnTunnel *self = user_data;

  if (error != NULL)
    {
      finish (self, error);
      return;
    }
  if (++self->n_done == 2)
    {
      finish (self, NULL);
      return;
    }
  /* One direction ended cleanly: when the other one ends too, the tunnel
   * closes both sockets at once, and that close sends the FIN. Shutting
   * down first would only cost another system call per tunnel. */
  gn_pump_set_shutdown_on_eof (pump == self->up ? self->down : self->up, FALSE);
}

static void arm_idle (GnTunnel *self, gint64 delay_ms);

static gboolean
on_idle_timeout (gpointer user_data)
{
  GnTunnel *self = user_data;
  gint64 last = MAX (gn_pump_get_last_activity (self->up), gn_pump_get_last_activity (self->down));
  gint64 quiet_ms = (g_get_monotonic_time () - last) / 1000;
  gint64 limit_ms = (gint64) self->idle_timeout_s * 1000;

  g_clear_pointer (&self->idle, g_source_unref);

  if (quiet_ms >= limit_ms)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                             _("Idle for %u s"), self->idle_timeout_s);
      finish (self, error);
      return G_SOURCE_REMOVE;
    }

  arm_idle (self, limit_ms - quiet_ms);
  return G_SOURCE_REMOVE;
}

static void
arm_idle (GnTunnel *self,
          gint64    delay_ms)
{
  g_assert (self->idle == NULL);

  /* Whole seconds let GLib batch the wake-ups of many tunnels. */
  if (delay_ms >= 2000)
    self->idle = g_timeout_source_new_seconds ((delay_ms + 999) / 1000);
  else
    self->idle = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->idle, on_idle_timeout, self, NULL);
  g_source_attach (self->idle, g_main_context_get_thread_default ());
}

void
gn_tunnel_start (GnTunnel          *self,
                 GnTunnelBytesFunc  bytes_func,
                 GnTunnelDoneFunc   done_func,
                 gpointer           user_data)
{
  self->bytes_func = bytes_func;
  self->done_func = done_func;
  self->user_data = user_data;

  if (self->idle_timeout_s > 0)
    arm_idle (self, (gint64) self->idle_timeout_s * 1000);
  gn_pump_start (self->up, on_progress, on_pump_done, self);
  gn_pump_start (self->down, on_progress, on_pump_done, self);
}
