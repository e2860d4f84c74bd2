/* gn-head-reader.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnHeadReader reads one HTTP head (a request from a client, or a response
 * from an origin) from a non-blocking socket into a buffer that grows up to
 * a limit, parsing incrementally, with one timeout from the first byte
 * waited for to the end of the head, not per read: a client dribbling one
 * byte a second (slowloris) still gets its 408, a silent origin its 504.
 *
 * A plain struct embedded in its owner (the client connection reads
 * requests, the forwarding exchange reads responses), with its own read
 * source and timer, so reading costs no allocation beyond the buffer and
 * the parsed head. It reports once per gn_head_reader_start() through its
 * callback; nothing is called after gn_head_reader_cancel(), and the owner
 * may start the next read, or clear the reader, from inside the callback.
 *
 * Threading: the owner's thread only (a worker's thread-default context).
 */

#pragma once

#include <gio/gio.h>

#include "gn-http-parser.h"

G_BEGIN_DECLS

typedef struct _GnHeadReader GnHeadReader;

/* @result COMPLETE: reader->head is parsed (head_len: where the rest
 * starts); ERROR: reader->head->error_status is the status to answer (0:
 * just close; 408 or 504 after the timeout; 502 for an origin that closed)
 * and error_reason says why. */
typedef void (*GnHeadReadFunc) (GnHeadReader      *reader,
                                GnHttpParseResult  result,
                                gpointer           user_data);

struct _GnHeadReader
{
  /*< public, read-only >*/
  GnHttpHead     *head;        /* (owned) (nullable) after a read, until cleared */
  char           *buf;         /* (owned) (nullable) the bytes the head was parsed from */
  gsize           len;         /* bytes in buf: 0 while nothing was received */

  /*< private >*/
  GnHttpParser    parser;
  gsize           cap;
  gsize           limit;
  gboolean        is_request;
  GSocket        *socket;      /* (unowned) */
  GCancellable   *cancellable; /* (unowned) */
  GSource        *source;      /* (owned) (nullable) */
  GSource        *timer;       /* (owned) (nullable) */
  GnHeadReadFunc  func;
  gpointer        user_data;
};

/* Reads a head from @socket: a request (limits @max_bytes, @max_headers;
 * timeout 408) or a response (timeout 504). @prefix (taken, nullable) are
 * bytes already read from @socket that come first. @timeout_ms 0: none.
 * @func may run before this returns. */
void     gn_head_reader_start     (GnHeadReader   *self,
                                   GSocket        *socket,
                                   gboolean        is_request,
                                   gsize           max_bytes,
                                   guint           max_headers,
                                   guint           timeout_ms,
                                   GBytes         *prefix,
                                   GCancellable   *cancellable,
                                   GnHeadReadFunc  func,
                                   gpointer        user_data);
/* Stops reading; nothing is reported. The head and buffer stay. */
void     gn_head_reader_cancel    (GnHeadReader   *self);
/* Whether a read is in progress (waiting for bytes). */
gboolean gn_head_reader_is_active (GnHeadReader   *self);
/* The bytes after the parsed head (the start of a body, or of the next
 * message), or NULL. */
GBytes  *gn_head_reader_take_rest (GnHeadReader   *self);
/* Cancels, and frees the head and the buffer. */
void     gn_head_reader_clear     (GnHeadReader   *self);

G_END_DECLS
