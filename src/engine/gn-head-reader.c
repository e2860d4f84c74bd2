/* gn-head-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading one HTTP head (see gn-head-reader.h): non-blocking receives into
 * a buffer that starts at 4 KiB and doubles up to one byte past the limit
 * (enough to tell "too large"), parsed after each receive; one source
 * while the socket has nothing, one timer for the whole head.
 *
 * Threading: the owner's thread only.
 */

#include <string.h>

#include <glib/gi18n.h>

#include "gn-head-reader.h"
#include "gn-socket-source.h"

#define INITIAL_HEAD_BUFFER 4096

static void read_more (GnHeadReader *self);

void
gn_head_reader_cancel (GnHeadReader *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  self->func = NULL;
}

gboolean
gn_head_reader_is_active (GnHeadReader *self)
{
  return self->func != NULL;
}

void
gn_head_reader_clear (GnHeadReader *self)
{
  gn_head_reader_cancel (self);
  g_clear_pointer (&self->head, g_free);
  g_clear_pointer (&self->buf, g_free);
  self->len = self->cap = 0;
}

static void
done (GnHeadReader      *self,
      GnHttpParseResult  result)
{
  GnHeadReadFunc func = self->func;

  gn_head_reader_cancel (self);
  func (self, result, self->user_data);
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  GnHeadReader *self = user_data;

  g_clear_pointer (&self->source, g_source_unref);
  read_more (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user_data)
{
  GnHeadReader *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  self->head->error_status = self->is_request ? 408 : 504;
  self->head->error_reason = self->is_request ? _("Timed out reading the request head")
                                              : _("The server did not answer in time");
  done (self, GN_HTTP_PARSE_ERROR);
  return G_SOURCE_REMOVE;
}

static GnHttpParseResult
parse (GnHeadReader *self)
{
  if (self->is_request)
    return gn_http_parse_request (&self->parser, self->buf, self->len, self->head);
  return gn_http_parse_response (&self->parser, self->buf, self->len, self->head);
}

static void
read_more (GnHeadReader *self)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GnHttpParseResult result;
      gssize n;

      if (self->len == self->cap)
        {
          self->cap = MIN (self->cap * 2, self->limit + 1);
          self->buf = g_realloc (self->buf, self->cap);
        }

      n = g_socket_receive_with_blocking (self->socket, self->buf + self->len,
                                          self->cap - self->len, FALSE,
                                          self->cancellable, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* Finishing destroys the source itself. */
          self->source = gn_socket_source_new (self->socket, G_IO_IN, on_readable, self);
          return;
        }
      if (n <= 0)
        {
          /* Closed or reset: status 0 means "just close". */
          self->head->error_status = self->is_request ? 0 : 502;
          self->head->error_reason = self->is_request
            ? (self->len > 0 ? _("The client closed the connection mid-request") : NULL)
            : _("The server closed the connection without answering");
          done (self, GN_HTTP_PARSE_ERROR);
          return;
        }

      self->len += n;
      result = parse (self);
      if (result != GN_HTTP_PARSE_NEED_MORE)
        {
          done (self, result);
          return;
        }
    }
}

void
gn_head_reader_start (GnHeadReader   *self,
                      GSocket        *socket,
                      gboolean        is_request,
                      gsize           max_bytes,
                      guint           max_headers,
                      guint           timeout_ms,
                      GBytes         *prefix,
                      GCancellable   *cancellable,
                      GnHeadReadFunc  func,
                      gpointer        user_data)
{
  g_autoptr(GBytes) owned_prefix = prefix;
  GnHttpParseResult result = GN_HTTP_PARSE_NEED_MORE;

  g_assert (self->source == NULL && self->timer == NULL && self->func == NULL);

  self->socket = socket;
  self->is_request = is_request;
  self->limit = max_bytes;
  self->cancellable = cancellable;
  self->func = func;
  self->user_data = user_data;
  gn_http_parser_init (&self->parser, max_bytes, max_headers);
  if (self->head == NULL)
    self->head = g_new0 (GnHttpHead, 1);

  g_clear_pointer (&self->buf, g_free);
  self->len = 0;
  self->cap = MIN (INITIAL_HEAD_BUFFER, self->limit + 1);

  /* Bytes already read past the previous message come first. */
  if (owned_prefix != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (owned_prefix, &len);

      self->cap = MAX (self->cap, len);
      self->buf = g_malloc (self->cap);
      memcpy (self->buf, data, len);
      self->len = len;
      result = parse (self);
    }
  else
    self->buf = g_malloc (self->cap);

  if (result != GN_HTTP_PARSE_NEED_MORE)
    {
      done (self, result);
      return;
    }

  if (timeout_ms > 0)
    {
      self->timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (self->timer, on_timeout, self, NULL);
      g_source_attach (self->timer, g_main_context_get_thread_default ());
    }
  read_more (self);
}

GBytes *
gn_head_reader_take_rest (GnHeadReader *self)
{
  if (self->buf == NULL || self->head == NULL || self->head->head_len >= self->len)
    return NULL;
  return g_bytes_new (self->buf + self->head->head_len, self->len - self->head->head_len);
}
