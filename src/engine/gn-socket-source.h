/* gn-socket-source.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Waiting for a socket to become readable or writable, the one way the
 * engine does it (see gn-socket-source.c for why not plain
 * g_socket_create_source()).
 *
 * Threading: the source attaches to the calling thread's thread-default
 * context and must be used and destroyed on that thread only.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A new source, already attached to the thread-default context, calling
 * @func when @socket meets @condition. The caller owns the returned
 * reference: g_source_destroy() and g_source_unref() it, or return
 * G_SOURCE_REMOVE from @func and unref it. */
GSource *gn_socket_source_new (GSocket           *socket,
                               GIOCondition       condition,
                               GSocketSourceFunc  func,
                               gpointer           user_data);

G_END_DECLS
