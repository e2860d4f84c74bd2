/* gn-splice.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pipes and splice(2) for the tunnels' pumps (see gn-splice.h). The only
 * file of the engine that calls splice(); without GN_HAVE_SPLICE (Windows,
 * the BSDs, macOS) it lends no pipe and the pumps copy through buffers.
 *
 * Pipes are sized with F_SETPIPE_SZ to the pumps' buffer size (256 KiB; the
 * default 64 KiB would take four times the system calls for the same
 * bytes). If the kernel refuses (an unprivileged user past
 * /proc/sys/fs/pipe-user-pages-soft), the pipe keeps its default size and
 * the pump asks for no more than it holds.
 *
 * Splicing into a socket whose peer has gone raises SIGPIPE (the kernel's
 * splice has no MSG_NOSIGNAL); GIO ignores SIGPIPE process-wide when its
 * GSocket class is initialised, which every socket we splice has done.
 *
 * Threading: see gn-splice.h.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* splice(), pipe2(), F_SETPIPE_SZ */
#endif

#include <errno.h>
#include <gio/gio.h>

#include "gn-splice.h"

#ifdef GN_HAVE_SPLICE
#include <fcntl.h>
#include <unistd.h>
#endif

/* Empty pipes kept for reuse per pool; past it they are closed. */
#define MAX_FREE_PIPES 4

struct _GnPipePool
{
  gsize      pipe_size;
  guint      max_pipes;
  guint      n_open;      /* in use + free */
  guint      n_in_use;
  GPtrArray *free_pipes;  /* (owned) (element-type GnPipe) */
};

gboolean
gn_splice_available (void)
{
#ifdef GN_HAVE_SPLICE
  static gsize available = 0;

  if (g_once_init_enter (&available))
    {
      gboolean off = g_strcmp0 (g_getenv ("GN_SPLICE"), "0") == 0;

      g_once_init_leave (&available, off ? 1 : 2);
    }
  return available == 2;
#else
  return FALSE;
#endif
}

static void
pipe_close (GnPipe *pipe)
{
#ifdef GN_HAVE_SPLICE
  close (pipe->read_fd);
  close (pipe->write_fd);
#endif
  g_free (pipe);
}

GnPipePool *
gn_pipe_pool_new (gsize pipe_size,
                  guint max_pipes)
{
  GnPipePool *self = g_new0 (GnPipePool, 1);

  self->pipe_size = pipe_size;
  self->max_pipes = gn_splice_available () ? max_pipes : 0;
  self->free_pipes = g_ptr_array_new ();
  return self;
}

void
gn_pipe_pool_free (GnPipePool *self)
{
  if (self == NULL)
    return;

  g_warn_if_fail (self->n_in_use == 0);
  for (guint i = 0; i < self->free_pipes->len; i++)
    pipe_close (self->free_pipes->pdata[i]);
  g_ptr_array_unref (self->free_pipes);
  g_free (self);
}

#ifdef GN_HAVE_SPLICE
static GnPipe *
pipe_open (gsize size)
{
  int fds[2];
  GnPipe *pipe;
  int got;

  if (pipe2 (fds, O_CLOEXEC | O_NONBLOCK) != 0)
    return NULL;

  pipe = g_new (GnPipe, 1);
  pipe->read_fd = fds[0];
  pipe->write_fd = fds[1];
  got = fcntl (fds[1], F_SETPIPE_SZ, (int) MIN (size, G_MAXINT));
  if (got < 0)
    got = fcntl (fds[1], F_GETPIPE_SZ);
  pipe->capacity = got > 0 ? MIN ((gsize) got, size) : 4096;
  return pipe;
}
#endif

GnPipe *
gn_pipe_pool_acquire (GnPipePool *self)
{
  GnPipe *pipe = NULL;

  if (self->free_pipes->len > 0)
    pipe = g_ptr_array_steal_index_fast (self->free_pipes, self->free_pipes->len - 1);
#ifdef GN_HAVE_SPLICE
  else if (self->n_open < self->max_pipes && (pipe = pipe_open (self->pipe_size)) != NULL)
    self->n_open++;
#endif

  if (pipe != NULL)
    self->n_in_use++;
  return pipe;
}

void
gn_pipe_pool_release (GnPipePool *self,
                      GnPipe     *pipe,
                      gboolean    empty)
{
  g_return_if_fail (self->n_in_use > 0);

  self->n_in_use--;
  if (empty && self->free_pipes->len < MAX_FREE_PIPES)
    {
      g_ptr_array_add (self->free_pipes, pipe);
      return;
    }
  self->n_open--;
  pipe_close (pipe);
}

guint
gn_pipe_pool_get_n_in_use (GnPipePool *self)
{
  return self->n_in_use;
}

GnSpliceResult
gn_splice_move (int      from_fd,
                int      to_fd,
                gsize    len,
                gsize   *n_moved,
                GError **error)
{
#ifdef GN_HAVE_SPLICE
  for (;;)
    {
      ssize_t n = splice (from_fd, NULL, to_fd, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      int saved;

      if (n > 0)
        {
          *n_moved = n;
          return GN_SPLICE_MOVED;
        }
      if (n == 0)
        return GN_SPLICE_EOF;

      saved = errno;
      switch (saved)
        {
        case EINTR:
          continue;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return GN_SPLICE_AGAIN;
        case EINVAL:
        case ENOSYS:
        case EOPNOTSUPP:
          return GN_SPLICE_REFUSED;
        default:
          g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved), g_strerror (saved));
          return GN_SPLICE_ERROR;
        }
    }
#else
  return GN_SPLICE_REFUSED;
#endif
}

gboolean
gn_pipe_read_back (GnPipe *pipe,
                   char   *buffer,
                   gsize   len)
{
#ifdef GN_HAVE_SPLICE
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = read (pipe->read_fd, buffer + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += n;
    }
  return TRUE;
#else
  return FALSE;
#endif
}
