/* gn-splice.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Zero-copy forwarding for tunnels: splice(2) moves bytes from a socket
 * into a pipe and from the pipe into the other socket without copying them
 * through user space. A GnPipePool lends pipes to pumps that move bulk data
 * and takes them back when the pump's direction goes quiet (only empty
 * pipes are kept for reuse; a pipe with data stuck in it is closed), so an
 * idle tunnel holds no pipe.
 *
 * Compiled in only where the C library has splice() (Linux: meson defines
 * GN_HAVE_SPLICE); elsewhere gn_splice_available() is FALSE and the pool
 * never lends a pipe. GN_SPLICE=0 in the environment turns it off too (read
 * once per process), for comparing both paths.
 *
 * Threading: a pool belongs to one worker thread (one per GnBufferPool);
 * no locking. gn_splice_available() is callable from any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GnPipePool GnPipePool;

typedef struct
{
  int   read_fd;
  int   write_fd;
  gsize capacity;   /* what one splice into it may ask for */
} GnPipe;

/* What one splice() call did. */
typedef enum
{
  GN_SPLICE_MOVED,      /* *n_moved > 0 bytes moved */
  GN_SPLICE_EOF,        /* the source socket is at end of stream */
  GN_SPLICE_AGAIN,      /* would block */
  GN_SPLICE_REFUSED,    /* splice cannot work on these files: copy instead */
  GN_SPLICE_ERROR,      /* a real I/O error, in @error */
} GnSpliceResult;

gboolean        gn_splice_available      (void);

/* At most @max_pipes pipes open at once (in use + kept free), each sized
 * for @pipe_size bytes when the kernel allows it. */
GnPipePool     *gn_pipe_pool_new         (gsize        pipe_size,
                                          guint        max_pipes);
void            gn_pipe_pool_free        (GnPipePool  *self);
/* NULL when no pipe can be had now (the limit, out of descriptors, or no
 * splice here): copy through a buffer instead. */
GnPipe         *gn_pipe_pool_acquire     (GnPipePool  *self);
/* @empty: the caller moved every byte it put in; otherwise it is closed. */
void            gn_pipe_pool_release     (GnPipePool  *self,
                                          GnPipe      *pipe,
                                          gboolean     empty);
guint           gn_pipe_pool_get_n_in_use (GnPipePool *self);

/* One splice() of at most @len bytes from @from_fd to @to_fd, one of them
 * a pipe, non-blocking. */
GnSpliceResult  gn_splice_move           (int          from_fd,
                                          int          to_fd,
                                          gsize        len,
                                          gsize       *n_moved,
                                          GError     **error);
/* After GN_SPLICE_REFUSED on the way out: reads the @len bytes waiting in
 * @pipe into @buffer. */
gboolean        gn_pipe_read_back        (GnPipe      *pipe,
                                          char        *buffer,
                                          gsize        len);

G_END_DECLS
