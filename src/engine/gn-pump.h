/* gn-pump.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPump copies one direction, from one socket to another, with
 * non-blocking reads and writes driven by socket sources on the engine's
 * main context. It holds at most one buffer in flight (back-pressure: it
 * never reads more than it has written), borrows that buffer from a
 * GnBufferPool only while data flows and gives it back as soon as the
 * source has nothing to read, so a quiet direction costs a few hundred
 * bytes. A tunnel's pump may move bulk bytes with splice(2) instead, through
 * a pipe borrowed the same way (gn_pump_set_splice()).
 *
 * A pump either copies until end of stream (tunnels, read-until-close
 * bodies; optionally shutting down the write side of the destination on
 * EOF: the half-close of a tunnel) or copies exactly one HTTP body framed by
 * Content-Length or chunked encoding, forwarding it verbatim and keeping any
 * bytes read past its end as "leftover" for the next message.
 *
 * Threading: created, run and freed on one worker's context.
 */

#pragma once

#include <gio/gio.h>

#include "gn-buffer-pool.h"
#include "gn-http-parser.h"

G_BEGIN_DECLS

typedef struct _GnPump GnPump;

/* Called once per chunk moved, with the number of bytes written. */
typedef void (*GnPumpProgressFunc) (GnPump   *pump,
                                    gsize     n_bytes,
                                    gpointer  user_data);
/* Called once when the pump is done; @error is NULL on success. The pump
 * may be freed from this callback. */
typedef void (*GnPumpDoneFunc)     (GnPump       *pump,
                                    const GError *error,
                                    gpointer      user_data);

GnPump   *gn_pump_new               (GnBufferPool       *pool,
                                     GSocket            *src,
                                     GSocket            *dst,
                                     GCancellable       *cancellable);
void      gn_pump_free              (GnPump             *self);
/* Default: GN_HTTP_BODY_UNTIL_CLOSE. */
void      gn_pump_set_framing       (GnPump             *self,
                                     GnHttpBodyKind      kind,
                                     guint64             content_length);
void      gn_pump_set_shutdown_on_eof (GnPump           *self,
                                     gboolean            shutdown_on_eof);
/* Raw bytes until end of stream (a tunnel): once the direction proves
 * bulk, move it with splice(2) where it exists (gn-splice.h). Default:
 * off (HTTP bodies keep the buffer, their framing is parsed). */
void      gn_pump_set_splice        (GnPump             *self,
                                     gboolean            splice);
/* Bytes already read from @src that come first (copied). */
void      gn_pump_set_prefix        (GnPump             *self,
                                     const char         *data,
                                     gsize               len);
void      gn_pump_start             (GnPump             *self,
                                     GnPumpProgressFunc  progress,
                                     GnPumpDoneFunc      done,
                                     gpointer            user_data);
/* After done: bytes read from @src past the end of the body (or NULL). */
GBytes   *gn_pump_steal_leftover    (GnPump             *self);
guint64   gn_pump_get_bytes         (GnPump             *self);
/* g_get_monotonic_time() of the last byte moved (or of the start). */
gint64    gn_pump_get_last_activity (GnPump             *self);
gboolean  gn_pump_is_done           (GnPump             *self);

G_END_DECLS
