/* gn-socket-write.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writing a small message (a head, one of our answers) to a socket
 * connection: one non-blocking send first, which the socket buffer almost
 * always takes whole, with no GTask and no source; only the rest, if any,
 * goes through an asynchronous write. Shared by the client connection and
 * the forwarding exchange, so both write the same way.
 *
 * Threading: the caller's thread (its thread-default context runs the
 * asynchronous part).
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @error is NULL on success (G_IO_ERROR_CANCELLED after a cancel). */
typedef void (*GnWriteDoneFunc) (const GError *error,
                                 gpointer      user_data);

/* Writes all of @data (taken) to @connection, then calls @func with the
 * outcome, then @notify on @user_data: before this returns if the socket
 * took it all, else when the asynchronous write ends. Callers pass a
 * reference of their own as @user_data and its unref as @notify. */
void gn_socket_write_all (GSocketConnection *connection,
                          GString           *data,
                          GCancellable      *cancellable,
                          GnWriteDoneFunc    func,
                          gpointer           user_data,
                          GDestroyNotify     notify);

G_END_DECLS
