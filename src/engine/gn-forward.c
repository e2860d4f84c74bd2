/* gn-forward.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain-HTTP forwarding on a client connection: one absolute-form request
 * at a time, for as long as both sides keep the connection alive.
 *
 *   request head → blocklist → (reuse or connect) origin → rewritten head →
 *   request body pump → response head(s) → rewritten head → response body
 *   pump → next request (or close)
 *
 * Heads are rewritten, never copied blindly: hop-by-hop headers (Connection
 * and the headers it names, Proxy-Connection, Keep-Alive,
 * Proxy-Authorization, TE, Trailer, Upgrade) are dropped, and the framing
 * (Content-Length or chunked) is stated again, so that both sides agree on
 * where each message ends. Bodies stream through GnPump with their framing,
 * one pooled buffer at a time, so no body is ever held in memory.
 *
 * The origin connection is kept for the next request to the same host and
 * port. A kept connection the origin closed meanwhile is detected before
 * reuse, and a request without a body that finds its reused connection
 * dead before any answer is retried once on a fresh one.
 *
 * "Expect: 100-continue" is answered by us (100 Continue) and not forwarded:
 * we then always send the body, which is simpler than waiting for the origin
 * and never deadlocks a client that waits for the 100.
 *
 * A "101 Switching Protocols" answer to an Upgrade request (WebSocket) turns
 * the connection into a tunnel.
 *
 * Threading: the connection's worker thread only.
 */

#include <string.h>

#include <gio/gnetworking.h>
#include <glib/gi18n.h>

#include "gn-block-page.h"
#include "gn-proxy-connection-private.h"

static void send_request (GnProxyConnection *self);

static void
free_string (gpointer data)
{
  g_string_free (data, TRUE);
}

void
_gn_forward_clear (GnProxyConnection *self)
{
  if (self->closing)
    g_clear_pointer (&self->request_head, free_string);
  g_clear_pointer (&self->pump, gn_pump_free);
  g_clear_pointer (&self->origin_pending, g_bytes_unref);
  if (self->origin != NULL)
    {
      g_io_stream_close (G_IO_STREAM (self->origin), NULL, NULL);
      g_clear_object (&self->origin);
      self->origin_socket = NULL;
    }
}

static void
fail (GnProxyConnection *self,
      guint              status,
      const char        *reason)
{
  g_autofree char *body = gn_block_page_error (status, reason);

  self->kind = GN_CONNECTION_KIND_ERROR;
  _gn_proxy_connection_respond (self, status, "text/html; charset=utf-8", body, reason);
}

/* Whether the request's Connection header names @name (to be dropped). */
static gboolean
named_by_connection (const GnHttpHead *head,
                     const char       *name,
                     gsize             name_len)
{
  g_autofree char *token = g_strndup (name, name_len);

  for (guint i = 0; i < head->n_headers; i++)
    {
      const GnHttpHeader *h = &head->headers[i];

      if (h->name_len == 10 && g_ascii_strncasecmp (h->name, "Connection", 10) == 0 &&
          gn_http_list_has_token (h->value, h->value_len, token))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_connection_header (const GnHttpHead *head)
{
  return gn_http_head_find (head, "Connection") != NULL;
}

/* Appends the end-to-end headers of @head, minus @skip (may be NULL). */
static void
append_headers (GString          *out,
                const GnHttpHead *head,
                const char       *skip1,
                const char       *skip2)
{
  gboolean check_named = has_connection_header (head);

  for (guint i = 0; i < head->n_headers; i++)
    {
      const GnHttpHeader *h = &head->headers[i];

      if (gn_http_header_is_hop_by_hop (h->name, h->name_len))
        continue;
      if (skip1 != NULL && strlen (skip1) == h->name_len && g_ascii_strncasecmp (h->name, skip1, h->name_len) == 0)
        continue;
      if (skip2 != NULL && strlen (skip2) == h->name_len && g_ascii_strncasecmp (h->name, skip2, h->name_len) == 0)
        continue;
      if (check_named && named_by_connection (head, h->name, h->name_len))
        continue;
      g_string_append_len (out, h->name, h->name_len);
      g_string_append (out, ": ");
      g_string_append_len (out, h->value, h->value_len);
      g_string_append (out, "\r\n");
    }
}

/* ---- the response ------------------------------------------------------- */

static void
on_body_progress (GnPump   *pump,
                  gsize     n,
                  gpointer  user_data)
{
  GnProxyConnection *self = user_data;

  if (self->record != NULL)
    gn_connection_record_add_bytes (self->record, 0, n);
}

static void
on_response_body_done (GnPump       *pump,
                       const GError *error,
                       gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  g_autoptr(GBytes) extra = gn_pump_steal_leftover (pump);

  g_clear_pointer (&self->pump, gn_pump_free);

  if (error != NULL)
    {
      /* Mid-body: the head is gone, all we can do is close. */
      _gn_proxy_connection_finish (self, error->message);
      return;
    }

  if (!self->origin_keep_alive || extra != NULL)
    _gn_forward_clear (self);

  if (self->client_keep_alive)
    _gn_proxy_connection_next_request (self);
  else
    _gn_proxy_connection_finish (self, NULL);
}

static void
on_response_head_written (GnProxyConnection *self,
                          const GError      *error)
{
  g_autoptr(GBytes) rest = NULL;

  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }

  rest = _gn_proxy_connection_take_rest (self);
  _gn_proxy_connection_drop_head (self);

  self->pump = gn_pump_new (self->pool, self->origin_socket,
                            self->client_socket, self->cancellable);
  gn_pump_set_framing (self->pump, self->resp_body_kind, self->req_content_length);
  if (rest != NULL)
    gn_pump_set_prefix (self->pump, g_bytes_get_data (rest, NULL), g_bytes_get_size (rest));
  gn_pump_start (self->pump, on_body_progress, on_response_body_done, self);
}

static void on_response_head (GnProxyConnection *self, GnHttpParseResult result);

static void
on_interim_written (GnProxyConnection *self,
                    const GError      *error)
{
  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }
  _gn_proxy_connection_read_head (self, self->origin_socket, FALSE,
                                  self->config->idle_timeout_s * 1000, on_response_head);
}

static void
on_switch_written (GnProxyConnection *self,
                   const GError      *error)
{
  g_autoptr(GBytes) to_client = NULL;
  g_autoptr(GBytes) to_origin = g_steal_pointer (&self->pending);

  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }
  to_client = _gn_proxy_connection_take_rest (self);
  _gn_proxy_connection_drop_head (self);
  _gn_proxy_connection_start_tunnel (self, self->origin_socket, to_origin, to_client);
}

static void
on_response_head (GnProxyConnection *self,
                  GnHttpParseResult  result)
{
  GnHttpHead *head = self->head;
  GString *out;

  if (result == GN_HTTP_PARSE_ERROR)
    {
      if (self->origin_reused && !self->retried && self->head_len == 0 &&
          self->req_body_kind == GN_HTTP_BODY_NONE)
        {
          /* The kept connection died under us: once more, on a new one. */
          self->retried = TRUE;
          _gn_forward_clear (self);
          send_request (self);
          return;
        }
      fail (self, head->error_status ? head->error_status : 502, head->error_reason);
      return;
    }

  /* The upstream wants credentials we do not have (or refused ours): a
   * 407 passed on would make the client ask for a password to *us*. */
  if (head->status == 407 && _gn_proxy_connection_uses_upstream (self))
    {
      g_autofree char *reason = g_strdup_printf (_("Your proxy %s port %u asks for a user name and password "
                                                   "that GuardNest does not have or that it refused"),
                                                 self->config->upstream_host, self->config->upstream_port);

      fail (self, 502, reason);
      return;
    }

  self->resp_status = head->status;
  if (head->status >= 200)
    g_clear_pointer (&self->request_head, free_string);

  if (head->status == 101 && self->req_upgrade)
    {
      out = g_string_new_len (self->head_buf, head->head_len);
      if (self->record != NULL)
        gn_connection_record_set_status (self->record, 101);
      g_clear_pointer (&self->request_head, free_string);
      _gn_proxy_connection_write (self, G_IO_STREAM (self->client), out, on_switch_written);
      return;
    }

  if (head->status < 200)
    {
      g_autoptr(GBytes) rest = _gn_proxy_connection_take_rest (self);

      if (head->status == 101)
        {
          fail (self, 502, _("The server switched protocols without being asked to"));
          return;
        }
      /* Interim answer (100, 103): pass it on, read the real one next. */
      out = g_string_new_len (self->head_buf, head->head_len);
      g_clear_pointer (&self->origin_pending, g_bytes_unref);
      self->origin_pending = g_steal_pointer (&rest);
      _gn_proxy_connection_write (self, G_IO_STREAM (self->client), out, on_interim_written);
      return;
    }

  if (!gn_http_response_has_body (head, self->req_is_head))
    self->resp_body_kind = GN_HTTP_BODY_NONE;
  else
    self->resp_body_kind = head->body_kind;
  /* The pump reads the length from here. */
  self->req_content_length = head->content_length;

  self->origin_keep_alive = head->keep_alive && self->resp_body_kind != GN_HTTP_BODY_UNTIL_CLOSE;
  self->client_keep_alive = self->req_keep_alive && self->resp_body_kind != GN_HTTP_BODY_UNTIL_CLOSE &&
                            !gn_listener_context_is_draining (self->context);

  out = g_string_sized_new (head->head_len + 64);
  g_string_append_printf (out, "HTTP/1.1 %u ", head->status);
  g_string_append_len (out, head->reason, head->reason_len);
  g_string_append (out, "\r\n");
  append_headers (out, head, self->resp_body_kind == GN_HTTP_BODY_CHUNKED ? "Content-Length" : NULL, NULL);
  if (self->resp_body_kind == GN_HTTP_BODY_CHUNKED)
    g_string_append (out, "Transfer-Encoding: chunked\r\n");
  if (!self->client_keep_alive)
    g_string_append (out, "Connection: close\r\n");
  else if (self->req_version_minor == 0)
    g_string_append (out, "Connection: keep-alive\r\n");
  g_string_append (out, "\r\n");

  if (self->record != NULL)
    {
      gn_connection_record_set_status (self->record, head->status);
      gn_connection_record_add_bytes (self->record, 0, out->len);
    }

  _gn_proxy_connection_write (self, G_IO_STREAM (self->client), out, on_response_head_written);
}

/* ---- the request -------------------------------------------------------- */

static void
read_response (GnProxyConnection *self)
{
  _gn_proxy_connection_read_head (self, self->origin_socket, FALSE,
                                  self->config->idle_timeout_s * 1000, on_response_head);
}

static void
on_request_body_done (GnPump       *pump,
                      const GError *error,
                      gpointer      user_data)
{
  GnProxyConnection *self = user_data;

  g_clear_pointer (&self->pending, g_bytes_unref);
  self->pending = gn_pump_steal_leftover (pump);
  g_clear_pointer (&self->pump, gn_pump_free);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    {
      /* A bad chunk size ("zz", "-5", 18 hex digits): nothing was answered
       * yet, so the client learns why (the origin connection, which got
       * part of a body, is dropped). */
      fail (self, 400, _("The request body is not valid chunked encoding"));
      return;
    }
  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, error->message);
      return;
    }
  read_response (self);
}

static void
on_request_bytes (GnPump   *pump,
                  gsize     n,
                  gpointer  user_data)
{
  GnProxyConnection *self = user_data;

  if (self->record != NULL)
    gn_connection_record_add_bytes (self->record, n, 0);
}

static void
on_request_head_written (GnProxyConnection *self,
                         const GError      *error)
{
  if (error != NULL)
    {
      if (self->origin_reused && !self->retried && self->req_body_kind == GN_HTTP_BODY_NONE)
        {
          self->retried = TRUE;
          _gn_forward_clear (self);
          send_request (self);
          return;
        }
      fail (self, 502, _("Could not send the request to the server"));
      return;
    }

  if (self->req_body_kind == GN_HTTP_BODY_NONE)
    {
      read_response (self);
      return;
    }

  self->pump = gn_pump_new (self->pool, self->client_socket,
                            self->origin_socket, self->cancellable);
  gn_pump_set_framing (self->pump, self->req_body_kind, self->req_content_length);
  if (self->pending != NULL)
    {
      gn_pump_set_prefix (self->pump, g_bytes_get_data (self->pending, NULL), g_bytes_get_size (self->pending));
      g_clear_pointer (&self->pending, g_bytes_unref);
    }
  gn_pump_start (self->pump, on_request_bytes, on_request_body_done, self);
}

static void
write_request_head (GnProxyConnection *self)
{
  GString *out = g_string_new_len (self->request_head->str, self->request_head->len);

  if (self->record != NULL)
    {
      gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_OPEN);
      gn_connection_record_add_bytes (self->record, out->len, 0);
    }
  _gn_proxy_connection_write (self, G_IO_STREAM (self->origin), out, on_request_head_written);
}

static void
on_origin_connected (GSocketConnection *origin,
                     const GError      *error,
                     gpointer           user_data)
{
  GnProxyConnection *self = user_data;

  if (origin == NULL)
    {
      fail (self, error->code, error->message);
      return;
    }

  self->origin = origin;
  self->origin_socket = g_socket_connection_get_socket (origin);
  memcpy (self->origin_host, self->host, sizeof self->host);
  self->origin_port = self->port;
  self->origin_reused = FALSE;
  write_request_head (self);
}

static gboolean
origin_usable (GnProxyConnection *self)
{
  if (self->origin == NULL)
    return FALSE;
  if (self->origin_port != self->port || strcmp (self->origin_host, self->host) != 0)
    return FALSE;
  /* Idle and healthy: nothing to read, no hang-up. */
  return g_socket_condition_check (self->origin_socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0;
}

static void
send_request (GnProxyConnection *self)
{
  if (origin_usable (self))
    {
      self->origin_reused = TRUE;
      write_request_head (self);
      return;
    }

  _gn_forward_clear (self);
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_CONNECTING);
  gn_origin_connector_start (&self->connector, self->context, self->socket_client,
                             self->host, self->port, FALSE, on_origin_connected, self);
}

/* Builds the head we send to the origin into self->out. */
static void
build_request_head (GnProxyConnection *self,
                    const char        *authority,
                    gsize              authority_len,
                    const char        *path,
                    gsize              path_len)
{
  GnHttpHead *head = self->head;
  GString *out = g_string_sized_new (head->head_len + 64);

  g_string_append_len (out, head->method, head->method_len);
  g_string_append_c (out, ' ');
  /* An upstream proxy wants the absolute form, as we got it, and our
   * credentials for it (the client's Proxy-Authorization was for us). */
  if (_gn_proxy_connection_uses_upstream (self))
    {
      g_string_append (out, "http://");
      g_string_append_len (out, authority, authority_len);
    }
  if (path_len == 0 || path[0] != '/')
    g_string_append_c (out, '/');
  g_string_append_len (out, path, path_len);
  g_string_append (out, " HTTP/1.1\r\nHost: ");
  g_string_append_len (out, authority, authority_len);
  g_string_append (out, "\r\n");
  if (_gn_proxy_connection_uses_upstream (self))
    {
      g_autofree char *credentials = gn_engine_config_dup_upstream_authorization (self->config);

      if (credentials != NULL)
        g_string_append_printf (out, "Proxy-Authorization: %s\r\n", credentials);
    }
  append_headers (out, head, "Host", "Expect");
  g_string_append_printf (out, "Via: 1.%u %s\r\n", head->version_minor,
                          self->context->via);
  if (self->req_body_kind == GN_HTTP_BODY_CHUNKED)
    g_string_append (out, "Transfer-Encoding: chunked\r\n");
  if (!self->req_keep_alive && !self->req_upgrade)
    {
      /* We will not reuse the origin connection either: say so. */
      g_string_append (out, "Connection: close\r\n");
    }
  if (self->req_upgrade)
    {
      const GnHttpHeader *upgrade = gn_http_head_find (head, "Upgrade");

      g_string_append (out, "Connection: Upgrade\r\nUpgrade: ");
      g_string_append_len (out, upgrade->value, upgrade->value_len);
      g_string_append (out, "\r\n");
    }
  g_string_append (out, "\r\n");

  g_clear_pointer (&self->request_head, free_string);
  self->request_head = out;
}

/* A request carrying our own Via token went through us already: a loop
 * (for instance through an address of ours we could not recognise). */
static gboolean
came_through_us (GnProxyConnection *self)
{
  const char *via = self->context->via;

  for (guint i = 0; i < self->head->n_headers; i++)
    {
      const GnHttpHeader *h = &self->head->headers[i];

      if (h->name_len == 3 && g_ascii_strncasecmp (h->name, "Via", 3) == 0 &&
          g_strstr_len (h->value, h->value_len, via) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
on_continue_written (GnProxyConnection *self,
                     const GError      *error)
{
  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }
  send_request (self);
}

void
_gn_forward_request (GnProxyConnection *self)
{
  GnHttpHead *head = self->head;
  const char *authority = head->target + 7;
  const char *end = head->target + head->target_len;
  const char *path = authority;
  const GnHttpHeader *expect;

  self->kind = GN_CONNECTION_KIND_HTTP;
  while (path < end && *path != '/' && *path != '?' && *path != '#')
    path++;
  if (memchr (authority, '@', path - authority) != NULL ||
      !gn_http_parse_authority (authority, path - authority, 80, self->host, &self->port))
    {
      fail (self, 400, _("The request URL does not name a valid host"));
      return;
    }
  if (!_gn_proxy_connection_canonicalize_host (self))
    {
      fail (self, 400, "The request URL names an address one cannot connect to");
      return;
    }
  if (self->record != NULL)
    gn_connection_record_set_target (self->record, self->host, self->port, GN_CONNECTION_KIND_HTTP);

  if (_gn_proxy_connection_check_blocked (self, TRUE))
    return;

  if (gn_listener_context_is_self (self->context, self->host, self->port) || came_through_us (self))
    {
      _gn_proxy_connection_respond_own (self, path, end - path, TRUE);
      return;
    }

  self->req_is_head = gn_http_method_is (head, "HEAD");
  self->req_keep_alive = head->keep_alive;
  self->req_upgrade = head->upgrade;
  self->req_version_minor = head->version_minor;
  self->req_body_kind = head->body_kind;
  self->req_content_length = head->content_length;
  self->retried = FALSE;

  build_request_head (self, authority, path - authority, path, end - path);

  /* Body bytes already read belong to the request body. */
  g_clear_pointer (&self->pending, g_bytes_unref);
  self->pending = _gn_proxy_connection_take_rest (self);

  expect = gn_http_head_find (head, "Expect");
  if (expect != NULL && self->req_body_kind != GN_HTTP_BODY_NONE &&
      gn_http_list_has_token (expect->value, expect->value_len, "100-continue"))
    {
      _gn_proxy_connection_drop_head (self);
      _gn_proxy_connection_write (self, G_IO_STREAM (self->client),
                                  g_string_new ("HTTP/1.1 100 Continue\r\n\r\n"),
                                  on_continue_written);
      return;
    }

  _gn_proxy_connection_drop_head (self);
  send_request (self);
}
