/* gn-socket-write.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writing a small message, synchronously when the socket takes it (see
 * gn-socket-write.h). Only the asynchronous path allocates (a small record
 * beside GIO's GTask).
 *
 * Threading: the caller's thread.
 */

#include "gn-socket-write.h"

typedef struct
{
  GString         *data;      /* (owned) what is left to write */
  GnWriteDoneFunc  func;
  gpointer         user_data;
  GDestroyNotify   notify;
} PendingWrite;

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  PendingWrite *w = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  w->func (error, w->user_data);
  if (w->notify != NULL)
    w->notify (w->user_data);
  g_string_free (w->data, TRUE);
  g_free (w);
}

void
gn_socket_write_all (GSocketConnection *connection,
                     GString           *data,
                     GCancellable      *cancellable,
                     GnWriteDoneFunc    func,
                     gpointer           user_data,
                     GDestroyNotify     notify)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  PendingWrite *w;
  gssize n;

  n = g_socket_send_with_blocking (socket, data->str, data->len, FALSE, NULL, NULL);
  if (n == (gssize) data->len)
    {
      g_string_free (data, TRUE);
      func (NULL, user_data);
      if (notify != NULL)
        notify (user_data);
      return;
    }
  if (n > 0)
    g_string_erase (data, 0, n);

  w = g_new (PendingWrite, 1);
  w->data = data;
  w->func = func;
  w->user_data = user_data;
  w->notify = notify;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   data->str, data->len, G_PRIORITY_DEFAULT,
                                   cancellable, on_written, w);
}
