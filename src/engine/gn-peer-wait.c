/* gn-peer-wait.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPeerWait (see gn-peer-wait.h).
 *
 * Threading: see gn-peer-wait.h.
 */

#include "gn-peer-wait.h"

static void
stop_timer (GnPeerWait *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static void
release (GnPeerWait *self)
{
  GString *answer = g_steal_pointer (&self->held);

  stop_timer (self);
  if (answer != NULL)
    self->release (answer, self->data);
}

static void
on_identified (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GnPeerWait *self = user_data;
  /* The question's reference keeps the owner, and so self, alive. */
  gpointer data = self->data;
  GDestroyNotify unref = self->unref;
  g_autofree char *app = gn_peer_identifier_identify_finish (self->identifier, result, NULL);

  self->asking = FALSE;
  if (!self->cleared)
    {
      self->named (app, data);
      release (self);
    }
  unref (data);
}

void
gn_peer_wait_start (GnPeerWait            *self,
                    GnPeerIdentifier      *identifier,
                    GSocketAddress        *client,
                    GSocketAddress        *server,
                    GCancellable          *cancellable,
                    GnPeerWaitNamedFunc    named,
                    GnPeerWaitReleaseFunc  release_func,
                    gpointer               data,
                    gpointer             (*ref) (gpointer),
                    GDestroyNotify         unref)
{
  g_return_if_fail (!self->asking);
  self->identifier = identifier;
  self->asking = TRUE;
  self->named = named;
  self->release = release_func;
  self->data = data;
  self->unref = unref;
  ref (data);
  gn_peer_identifier_identify_async (identifier, client, server, cancellable,
                                     on_identified, self);
}

static gboolean
on_timeout (gpointer user_data)
{
  release (user_data);
  return G_SOURCE_REMOVE;
}

gboolean
gn_peer_wait_hold (GnPeerWait *self,
                   GString    *answer,
                   guint       bound_ms)
{
  if (!self->asking || self->cleared || self->held != NULL)
    return FALSE;
  self->held = answer;
  self->timer = g_timeout_source_new (bound_ms);
  g_source_set_callback (self->timer, on_timeout, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
  return TRUE;
}

void
gn_peer_wait_clear (GnPeerWait *self)
{
  self->cleared = TRUE;
  stop_timer (self);
  if (self->held != NULL)
    g_string_free (g_steal_pointer (&self->held), TRUE);
}
