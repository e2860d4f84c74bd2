/* gn-socket-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Socket sources for the engine (see gn-socket-source.h).
 *
 * Why a wrapper: GLib changes a context's set of polled descriptors each
 * time a source with a descriptor is attached, destroyed, or dispatched
 * while it may not recurse (dispatching "blocks" the source: its
 * descriptor is removed from the context before the callback and added
 * back after it), and every such change writes to the context's wake-up
 * eventfd, even from the thread that owns the context. A short CONNECT
 * setup dispatches its socket sources a handful of times; marking them
 * "can recurse" saves the two writes per dispatch that blocking costs. No
 * engine callback runs a nested main loop, so nothing can dispatch them
 * recursively in practice.
 *
 * Threading: see gn-socket-source.h.
 */

#include "gn-socket-source.h"

GSource *
gn_socket_source_new (GSocket           *socket,
                      GIOCondition       condition,
                      GSocketSourceFunc  func,
                      gpointer           user_data)
{
  /* No cancellable: the owners destroy their sources when they finish. */
  GSource *source = g_socket_create_source (socket, condition, NULL);

  g_source_set_can_recurse (source, TRUE);
  g_source_set_callback (source, G_SOURCE_FUNC (func), user_data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}
