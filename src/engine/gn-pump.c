/* gn-pump.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One-direction socket copy (see gn-pump.h). Why not
 * g_io_stream_splice_async(): it copies through 8 KiB buffers and a GTask
 * per operation, about 3× slower here than this loop of non-blocking
 * receive/send with a 256 KiB pooled buffer, which only falls back to a
 * socket source when the kernel says "would block".
 *
 * Fairness: one dispatch moves at most BUDGET buffers, then waits on the
 * socket again (a source that is immediately ready), so one fast transfer
 * cannot starve the other connections on the engine thread.
 *
 * Zero copy (tunnels only, gn_pump_set_splice(); see gn-splice.h): a
 * direction starts with the buffer; once it proves bulk (a read filled the
 * whole buffer, or SPLICE_AFTER bytes went through) it moves its bytes with
 * splice(2) through a pipe borrowed from the worker's pool instead: splice
 * from the source into the empty pipe, then from the pipe into the
 * destination until it is empty again. Nothing is read while the pipe holds
 * data (back-pressure, as with the buffer), end of stream is only seen with
 * the pipe empty (so the half-close comes after the last byte), the bytes
 * counted are the ones the destination took, and the pipe goes back to the
 * pool as soon as the source has nothing to read, like the buffer. If the
 * kernel refuses to splice these sockets the direction copies through the
 * buffer for good (any bytes already in the pipe are read back first); if
 * no pipe can be had right now it copies through the buffer this time.
 *
 * Threading: one worker thread (the connection's) only.
 */

#include <string.h>
#include <glib/gi18n.h>

#include "gn-pump.h"
#include "gn-socket-source.h"
#include "gn-splice.h"

#define BUDGET 8
/* A direction that moved this much is bulk: splice from then on. */
#define SPLICE_AFTER (512 * 1024)
#define MAX_LINE 4096
#define MAX_TRAILER (32 * 1024)

typedef enum
{
  CHUNK_SIZE,       /* reading a chunk-size line */
  CHUNK_DATA,       /* inside chunk data */
  CHUNK_DATA_END,   /* the CRLF after chunk data */
  CHUNK_TRAILER,    /* trailer lines up to an empty line */
  CHUNK_DONE,
} ChunkState;

struct _GnPump
{
  GnBufferPool       *pool;          /* (unowned) outlives every pump */
  GSocket            *src;           /* (owned) */
  GSocket            *dst;           /* (owned) */
  GCancellable       *cancellable;   /* (owned) (nullable) */
  GSource            *source;        /* (owned) (nullable) pending wait */
  GSource            *dispatching;   /* (owned) (nullable) the socket source running us */
  gboolean           *keep;          /* (nullable) its "continue" answer, while it runs */
  GSocket            *wait_socket;   /* (unowned) what `source` waits on */
  GIOCondition        wait_condition;

  GnHttpBodyKind      kind;
  guint64             remaining;     /* GN_HTTP_BODY_LENGTH: bytes left */
  gboolean            shutdown_on_eof;

  ChunkState          chunk_state;
  guint64             chunk_left;
  char               *line;          /* (owned) (nullable) chunk line so far */
  gsize               line_len;
  gsize               trailer_len;

  GBytes             *prefix;        /* (owned) (nullable) */
  GBytes             *leftover;      /* (owned) (nullable) */

  char               *buffer;        /* (owned by pool) (nullable) */
  const char         *wptr;          /* pending data to write */
  gsize               wlen;
  gboolean            wptr_is_prefix;
  gboolean            body_done;     /* end of body seen: write then finish */

  gboolean            splice_allowed; /* a tunnel, and the kernel did not refuse */
  gboolean            splicing;      /* proved bulk: splice when the buffer is empty */
  GnPipe             *pipe;          /* (owned by pool) (nullable) while splicing */
  gsize               pipe_len;      /* bytes in the pipe, not yet written */

  guint64             bytes;
  gint64              last_activity;
  gboolean            done;

  GnPumpProgressFunc  progress;
  GnPumpDoneFunc      done_func;
  gpointer            user_data;
};

static void pump_run (GnPump *self);

GnPump *
gn_pump_new (GnBufferPool *pool,
             GSocket      *src,
             GSocket      *dst,
             GCancellable *cancellable)
{
  GnPump *self = g_new0 (GnPump, 1);

  self->pool = pool;
  self->src = g_object_ref (src);
  self->dst = g_object_ref (dst);
  self->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  self->kind = GN_HTTP_BODY_UNTIL_CLOSE;
  self->last_activity = g_get_monotonic_time ();
  return self;
}

static void
release_buffer (GnPump *self)
{
  if (self->buffer != NULL)
    {
      gn_buffer_pool_release (self->pool, self->buffer);
      self->buffer = NULL;
    }
}

/* Back to the pool if empty; closed (with the bytes in it) otherwise. */
static void
release_pipe (GnPump *self)
{
  if (self->pipe != NULL)
    {
      gn_pipe_pool_release (gn_buffer_pool_get_pipes (self->pool), self->pipe,
                            self->pipe_len == 0);
      self->pipe = NULL;
      self->pipe_len = 0;
    }
}

void
gn_pump_free (GnPump *self)
{
  if (self == NULL)
    return;

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  if (self->dispatching != NULL)
    {
      g_source_destroy (self->dispatching);
      g_clear_pointer (&self->dispatching, g_source_unref);
    }
  release_buffer (self);
  release_pipe (self);
  g_clear_pointer (&self->prefix, g_bytes_unref);
  g_clear_pointer (&self->leftover, g_bytes_unref);
  g_clear_pointer (&self->line, g_free);
  g_clear_object (&self->src);
  g_clear_object (&self->dst);
  g_clear_object (&self->cancellable);
  g_free (self);
}

void
gn_pump_set_framing (GnPump         *self,
                     GnHttpBodyKind  kind,
                     guint64         content_length)
{
  self->kind = kind;
  self->remaining = content_length;
  self->chunk_state = CHUNK_SIZE;
}

void
gn_pump_set_shutdown_on_eof (GnPump   *self,
                             gboolean  shutdown_on_eof)
{
  self->shutdown_on_eof = shutdown_on_eof;
}

void
gn_pump_set_splice (GnPump   *self,
                    gboolean  splice)
{
  self->splice_allowed = splice && gn_splice_available ();
}

void
gn_pump_set_prefix (GnPump     *self,
                    const char *data,
                    gsize       len)
{
  g_clear_pointer (&self->prefix, g_bytes_unref);
  if (len > 0)
    self->prefix = g_bytes_new (data, len);
}

GBytes *
gn_pump_steal_leftover (GnPump *self)
{
  return g_steal_pointer (&self->leftover);
}

guint64
gn_pump_get_bytes (GnPump *self)
{
  return self->bytes;
}

gint64
gn_pump_get_last_activity (GnPump *self)
{
  return self->last_activity;
}

gboolean
gn_pump_is_done (GnPump *self)
{
  return self->done;
}

/* Every run of pump_run() ends in exactly one wait_for() or finish(); both
 * settle the source that is dispatching us, if any. */
static void
settle_dispatching (GnPump *self)
{
  g_clear_pointer (&self->dispatching, g_source_unref);
  self->keep = NULL;
}

static void
finish (GnPump       *self,
        const GError *error)
{
  g_assert (!self->done);

  settle_dispatching (self);
  self->done = TRUE;
  release_buffer (self);
  release_pipe (self);
  self->done_func (self, error, self->user_data);
}

static void
finish_literal (GnPump     *self,
                GQuark      domain,
                int         code,
                const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  finish (self, error);
}

static gboolean
on_ready (GSocket      *socket,
          GIOCondition  condition,
          gpointer      user_data)
{
  GnPump *self = user_data;
  gboolean keep = FALSE;

  /* Offered to the next wait_for(): waiting again on the same socket for
   * the same condition keeps this source. Removing a socket's fd from the
   * context and adding it back costs GLib a wake-up write each time. The
   * pump may be freed by pump_run(): only `keep` is read after it. */
  self->dispatching = g_steal_pointer (&self->source);
  self->keep = &keep;
  pump_run (self);
  return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_idle_start (gpointer user_data)
{
  GnPump *self = user_data;

  g_clear_pointer (&self->source, g_source_unref);
  pump_run (self);
  return G_SOURCE_REMOVE;
}

static void
wait_for (GnPump       *self,
          GSocket      *socket,
          GIOCondition  condition)
{
  g_assert (self->source == NULL);

  if (self->dispatching != NULL && self->wait_socket == socket && self->wait_condition == condition)
    {
      self->source = g_steal_pointer (&self->dispatching);
      *self->keep = TRUE;
      settle_dispatching (self);
      return;
    }
  settle_dispatching (self);

  /* No cancellable: whoever cancels also frees the pump, which destroys
   * the source (and pump_run checks the cancellable when it runs). */
  self->wait_socket = socket;
  self->wait_condition = condition;
  self->source = gn_socket_source_new (socket, condition, on_ready, self);
}

/* Appends one byte to the chunk line; returns FALSE when it is too long. */
static gboolean
line_append (GnPump *self,
             char    c)
{
  if (self->line == NULL)
    self->line = g_malloc (MAX_LINE);
  if (self->line_len >= MAX_LINE)
    return FALSE;
  self->line[self->line_len++] = c;
  return TRUE;
}

/* Walks chunked framing over @data; returns how many bytes belong to the
 * body, or -1 if the framing is broken. Sets body_done at the end. */
static gssize
scan_chunked (GnPump     *self,
              const char *data,
              gsize       len)
{
  gsize i = 0;

  while (i < len && self->chunk_state != CHUNK_DONE)
    {
      switch (self->chunk_state)
        {
        case CHUNK_DATA:
          {
            gsize n = MIN (self->chunk_left, len - i);

            i += n;
            self->chunk_left -= n;
            if (self->chunk_left == 0)
              self->chunk_state = CHUNK_DATA_END;
          }
          break;

        case CHUNK_DATA_END:
          if (data[i] == '\n')
            self->chunk_state = CHUNK_SIZE;
          else if (data[i] != '\r')
            return -1;
          i++;
          break;

        case CHUNK_SIZE:
        case CHUNK_TRAILER:
          {
            char c = data[i++];

            if (!line_append (self, c))
              return -1;
            if (c != '\n')
              break;

            if (self->chunk_state == CHUNK_SIZE)
              {
                guint64 size;

                if (gn_http_parse_chunk_size (self->line, self->line_len, &size) <= 0)
                  return -1;
                self->chunk_left = size;
                self->chunk_state = size > 0 ? CHUNK_DATA : CHUNK_TRAILER;
              }
            else
              {
                self->trailer_len += self->line_len;
                if (self->trailer_len > MAX_TRAILER)
                  return -1;
                if (self->line_len <= 2 && (self->line_len == 1 || self->line[0] == '\r'))
                  self->chunk_state = CHUNK_DONE;
              }
            self->line_len = 0;
          }
          break;

        case CHUNK_DONE:
        default:
          g_assert_not_reached ();
        }
    }

  if (self->chunk_state == CHUNK_DONE)
    {
      self->body_done = TRUE;
      g_clear_pointer (&self->line, g_free);
    }
  return i;
}

/* Takes @len fresh bytes at @data: decides how many belong to this body
 * and keeps the rest as leftover. Returns FALSE on broken framing. */
static gboolean
accept_data (GnPump     *self,
             const char *data,
             gsize       len)
{
  gsize take = len;

  switch (self->kind)
    {
    case GN_HTTP_BODY_NONE:
      take = 0;
      self->body_done = TRUE;
      break;
    case GN_HTTP_BODY_LENGTH:
      take = MIN (len, self->remaining);
      self->remaining -= take;
      if (self->remaining == 0)
        self->body_done = TRUE;
      break;
    case GN_HTTP_BODY_CHUNKED:
      {
        gssize n = scan_chunked (self, data, len);

        if (n < 0)
          return FALSE;
        take = n;
      }
      break;
    case GN_HTTP_BODY_UNTIL_CLOSE:
    default:
      break;
    }

  if (take < len)
    {
      g_assert (self->leftover == NULL);
      self->leftover = g_bytes_new (data + take, len - take);
    }
  self->wptr = data;
  self->wlen = take;
  return TRUE;
}

static gboolean
framing_complete_at_start (GnPump *self)
{
  return self->kind == GN_HTTP_BODY_NONE ||
         (self->kind == GN_HTTP_BODY_LENGTH && self->remaining == 0);
}

typedef enum
{
  STEP_MOVED,     /* bytes moved (or handed to the buffer): go on */
  STEP_STOPPED,   /* waiting or finished: return */
  STEP_COPY,      /* no splice now: copy through the buffer */
} SpliceStep;

/* One round of zero copy: fill the pipe from the source if it is empty,
 * then write from it to the destination. */
static SpliceStep
splice_step (GnPump *self,
             gint64  now)
{
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  if (self->pipe == NULL)
    {
      self->pipe = gn_pipe_pool_acquire (gn_buffer_pool_get_pipes (self->pool));
      if (self->pipe == NULL)
        return STEP_COPY;
      release_buffer (self);
    }

  if (self->pipe_len == 0)
    {
      switch (gn_splice_move (g_socket_get_fd (self->src), self->pipe->write_fd,
                              self->pipe->capacity, &n, &error))
        {
        case GN_SPLICE_MOVED:
          self->pipe_len = n;
          break;
        case GN_SPLICE_AGAIN:
          /* Quiet: give the pipe back while we wait. */
          release_pipe (self);
          wait_for (self, self->src, G_IO_IN);
          return STEP_STOPPED;
        case GN_SPLICE_EOF:
          release_pipe (self);
          if (self->shutdown_on_eof)
            g_socket_shutdown (self->dst, FALSE, TRUE, NULL);
          finish (self, NULL);
          return STEP_STOPPED;
        case GN_SPLICE_REFUSED:
          release_pipe (self);
          self->splicing = self->splice_allowed = FALSE;
          return STEP_COPY;
        case GN_SPLICE_ERROR:
        default:
          finish (self, error);
          return STEP_STOPPED;
        }
    }

  switch (gn_splice_move (self->pipe->read_fd, g_socket_get_fd (self->dst),
                          self->pipe_len, &n, &error))
    {
    case GN_SPLICE_MOVED:
      break;
    case GN_SPLICE_AGAIN:
      /* Back-pressure: the bytes wait in the pipe, nothing more is read. */
      wait_for (self, self->dst, G_IO_OUT);
      return STEP_STOPPED;
    case GN_SPLICE_REFUSED:
      /* Hand what the pipe holds to the buffer, and copy from now on. */
      self->splicing = self->splice_allowed = FALSE;
      if (self->buffer == NULL)
        self->buffer = gn_buffer_pool_acquire (self->pool);
      if (!gn_pipe_read_back (self->pipe, self->buffer, self->pipe_len))
        {
          finish_literal (self, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read back a tunnel’s pipe"));
          return STEP_STOPPED;
        }
      self->wptr = self->buffer;
      self->wlen = self->pipe_len;
      self->pipe_len = 0;
      release_pipe (self);
      return STEP_MOVED;
    case GN_SPLICE_EOF:
      finish_literal (self, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, _("The connection took no more data"));
      return STEP_STOPPED;
    case GN_SPLICE_ERROR:
    default:
      finish (self, error);
      return STEP_STOPPED;
    }

  self->pipe_len -= n;
  self->bytes += n;
  self->last_activity = now;
  if (self->progress != NULL)
    self->progress (self, n, self->user_data);
  return STEP_MOVED;
}

static void
pump_run (GnPump *self)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();

  if (g_cancellable_set_error_if_cancelled (self->cancellable, &error))
    {
      finish (self, error);
      return;
    }

  for (guint budget = 0; budget < BUDGET; budget++)
    {
      gssize n;

      if (self->wlen == 0)
        {
          if (self->wptr_is_prefix)
            {
              g_clear_pointer (&self->prefix, g_bytes_unref);
              self->wptr_is_prefix = FALSE;
            }

          if (self->body_done)
            {
              finish (self, NULL);
              return;
            }

          if (self->prefix != NULL)
            {
              gsize len;
              const char *data = g_bytes_get_data (self->prefix, &len);

              self->wptr_is_prefix = TRUE;
              if (!accept_data (self, data, len))
                {
                  finish_literal (self, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Malformed chunked body"));
                  return;
                }
              continue;
            }

          if (self->splicing)
            {
              SpliceStep step = splice_step (self, now);

              if (step == STEP_MOVED)
                continue;
              if (step == STEP_STOPPED)
                return;
            }

          if (self->buffer == NULL)
            self->buffer = gn_buffer_pool_acquire (self->pool);

          {
            gsize want = gn_buffer_pool_get_buffer_size (self->pool);

            if (self->kind == GN_HTTP_BODY_LENGTH)
              want = MIN (want, self->remaining);
            n = g_socket_receive_with_blocking (self->src, self->buffer, want, FALSE,
                                                self->cancellable, &error);
          }

          if (n < 0)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                {
                  /* Quiet: give the buffer back while we wait. */
                  release_buffer (self);
                  wait_for (self, self->src, G_IO_IN);
                  return;
                }
              finish (self, error);
              return;
            }

          if (n == 0)
            {
              if (self->kind != GN_HTTP_BODY_UNTIL_CLOSE)
                {
                  finish_literal (self, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                  _("The connection closed in the middle of a message"));
                  return;
                }
              if (self->shutdown_on_eof)
                g_socket_shutdown (self->dst, FALSE, TRUE, NULL);
              finish (self, NULL);
              return;
            }

          if (!accept_data (self, self->buffer, n))
            {
              finish_literal (self, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Malformed chunked body"));
              return;
            }
          /* Bulk: once this buffer is written, splice. */
          if (self->splice_allowed &&
              ((gsize) n == gn_buffer_pool_get_buffer_size (self->pool) ||
               self->bytes + n >= SPLICE_AFTER))
            self->splicing = TRUE;
          continue;
        }

      n = g_socket_send_with_blocking (self->dst, self->wptr, self->wlen, FALSE,
                                       self->cancellable, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              wait_for (self, self->dst, G_IO_OUT);
              return;
            }
          finish (self, error);
          return;
        }

      self->wptr += n;
      self->wlen -= n;
      self->bytes += n;
      self->last_activity = now;
      if (self->progress != NULL)
        self->progress (self, n, self->user_data);
    }

  /* Budget spent: let other connections run, come back when ready. */
  if (self->wlen == 0 && self->body_done)
    finish (self, NULL);
  else if (self->wlen > 0 || self->pipe_len > 0)
    wait_for (self, self->dst, G_IO_OUT);
  else
    {
      /* An empty pipe goes back while we wait, like the buffer would if
       * the source turned out quiet. */
      release_pipe (self);
      wait_for (self, self->src, G_IO_IN);
    }
}

void
gn_pump_start (GnPump             *self,
               GnPumpProgressFunc  progress,
               GnPumpDoneFunc      done,
               gpointer            user_data)
{
  g_return_if_fail (self != NULL && done != NULL);
  g_return_if_fail (self->done_func == NULL);

  self->progress = progress;
  self->done_func = done;
  self->user_data = user_data;

  if (framing_complete_at_start (self))
    {
      /* No body: everything already read is the next message's. */
      self->leftover = g_steal_pointer (&self->prefix);
      self->body_done = TRUE;
    }

  /* Nothing to write yet: wait for the source to have something (a
   * socket that already has data is ready on the next iteration). */
  if (self->prefix == NULL && !self->body_done)
    {
      wait_for (self, self->src, G_IO_IN);
      return;
    }

  /* Run from the main loop, never inside the caller's stack: @done may
   * free things the caller still uses. */
  self->source = g_idle_source_new ();
  g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->source, on_idle_start, self, NULL);
  g_source_attach (self->source, g_main_context_get_thread_default ());
}
