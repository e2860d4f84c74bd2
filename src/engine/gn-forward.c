/* gn-forward.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain-HTTP forwarding (see gn-forward.h): one absolute-form request at a
 * time, for as long as both sides keep the connection alive.
 *
 *   request → (reuse or connect) origin → rewritten head → request body
 *   pump → response head(s) → rewritten head → response body pump →
 *   NEXT (or CLOSE)
 *
 * Heads are rewritten, never copied blindly: hop-by-hop headers (Connection
 * and the headers it names, Proxy-Connection, Keep-Alive,
 * Proxy-Authorization, TE, Trailer, Upgrade) are dropped, and the framing
 * (Content-Length or chunked) is stated again, so that both sides agree on
 * where each message ends. Bodies stream through GnPump with their framing,
 * one pooled buffer at a time, so no body is ever held in memory; a request
 * body with a malformed chunk size is answered 400 (FAIL).
 *
 * The origin connection is kept for the next request to the same host and
 * port. A kept connection the origin closed meanwhile is detected before
 * reuse, and a request without a body that finds its reused connection
 * dead before any answer is retried once on a fresh one. New origin
 * connections come from a GnOriginConnector embedded here (which refuses a
 * socket that reached this proxy itself: 508).
 *
 * "Expect: 100-continue" is answered by us (100 Continue) and not forwarded:
 * we then always send the body, which is simpler than waiting for the origin
 * and never deadlocks a client that waits for the 100.
 *
 * A "101 Switching Protocols" answer to an Upgrade request (WebSocket) hands
 * the origin to the client connection for a tunnel (TUNNEL).
 *
 * Lifetime: the client connection holds a reference from its first plain
 * request to its end; each pending write holds one (and does nothing once
 * the exchange is closed); the reader, the pumps and the connector are
 * embedded or owned and stopped by gn_forward_exchange_close().
 *
 * Threading: the client connection's worker thread only.
 */

#include <string.h>

#include <glib/gi18n.h>

#include "gn-forward.h"
#include "gn-head-reader.h"
#include "gn-origin-connector.h"
#include "gn-pump.h"
#include "gn-socket-write.h"

/* Responses may carry more and bigger headers than we let requests have. */
#define RESPONSE_HEAD_LIMIT (64 * 1024)

struct _GnForwardExchange
{
  guint               ref_count;
  GnListenerContext  *context;       /* (owned) */
  GnEngineConfig     *config;        /* (unowned) context->config */
  GnBufferPool       *pool;          /* (unowned) the worker's */
  GSocketClient      *socket_client; /* (unowned) the worker's */
  GSocketConnection  *client;        /* (owned) */
  GSocket            *client_socket; /* (unowned) */
  GCancellable       *cancellable;   /* (owned) the connection's */
  GnConnectionRecord *record;        /* (unowned) (nullable) */
  GnForwardDoneFunc   func;
  gpointer            user_data;
  gboolean            closed;

  /* This request's target */
  char                host[GN_HTTP_HOST_MAX];
  guint16             port;

  /* The origin, kept alive between requests */
  GnOriginConnector   connector;
  GSocketConnection  *origin;        /* (owned) (nullable) */
  GSocket            *origin_socket; /* (unowned) */
  char                origin_host[GN_HTTP_HOST_MAX];
  guint16             origin_port;
  gboolean            origin_reused;
  gboolean            retried;

  /* This request and its response */
  GnHeadReader        reader;        /* response heads */
  GBytes             *origin_pending; /* (owned) (nullable) origin bytes past a 1xx head */
  GBytes             *client_pending; /* (owned) (nullable) client bytes: body start, then past the body */
  GnPump             *pump;          /* (owned) (nullable) body in flight */
  GString            *request_head;  /* (owned) (nullable) rewritten head, kept for a retry */
  guint               req_version_minor;
  gboolean            req_is_head;
  gboolean            req_keep_alive;
  gboolean            req_upgrade;
  GnHttpBodyKind      req_body_kind;
  guint64             req_content_length;
  GnHttpBodyKind      resp_body_kind;
  guint64             resp_content_length;
  gboolean            client_keep_alive;
  gboolean            origin_keep_alive;
};

static void send_request (GnForwardExchange *self);

static void
free_string (gpointer data)
{
  g_string_free (data, TRUE);
}

GnForwardExchange *
gn_forward_exchange_new (GnListenerContext  *context,
                         GnBufferPool       *pool,
                         GSocketClient      *socket_client,
                         GSocketConnection  *client,
                         GCancellable       *cancellable,
                         GnConnectionRecord *record,
                         GnForwardDoneFunc   func,
                         gpointer            user_data)
{
  GnForwardExchange *self = g_new0 (GnForwardExchange, 1);

  self->ref_count = 1;
  self->context = gn_listener_context_ref (context);
  self->config = context->config;
  self->pool = pool;
  self->socket_client = socket_client;
  self->client = g_object_ref (client);
  self->client_socket = g_socket_connection_get_socket (client);
  self->cancellable = g_object_ref (cancellable);
  self->record = record;
  self->func = func;
  self->user_data = user_data;
  return self;
}

GnForwardExchange *
gn_forward_exchange_ref (GnForwardExchange *self)
{
  g_assert (self->ref_count > 0);
  self->ref_count++;
  return self;
}

static void
drop_origin (GnForwardExchange *self)
{
  g_clear_pointer (&self->pump, gn_pump_free);
  g_clear_pointer (&self->origin_pending, g_bytes_unref);
  gn_head_reader_cancel (&self->reader);
  if (self->origin != NULL)
    {
      g_io_stream_close (G_IO_STREAM (self->origin), NULL, NULL);
      g_clear_object (&self->origin);
      self->origin_socket = NULL;
    }
}

void
gn_forward_exchange_close (GnForwardExchange *self)
{
  self->closed = TRUE;
  self->record = NULL;
  gn_origin_connector_cancel (&self->connector);
  drop_origin (self);
  gn_head_reader_clear (&self->reader);
  g_clear_pointer (&self->request_head, free_string);
  g_clear_pointer (&self->client_pending, g_bytes_unref);
}

void
gn_forward_exchange_unref (GnForwardExchange *self)
{
  g_assert (self->ref_count > 0);
  if (--self->ref_count > 0)
    return;

  gn_forward_exchange_close (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->context, gn_listener_context_unref);
  g_free (self);
}

static void
unref_cb (gpointer data)
{
  gn_forward_exchange_unref (data);
}

/* Hands the outcome to the connection; the last thing any path does. */
static void
report (GnForwardExchange *self,
        GnForwardResult   *result)
{
  gn_forward_exchange_ref (self);
  self->func (self, result, self->user_data);
  g_clear_pointer (&result->client_rest, g_bytes_unref);
  g_clear_pointer (&result->origin_rest, g_bytes_unref);
  g_clear_object (&result->origin);
  gn_forward_exchange_unref (self);
}

/* Nothing was answered yet: the connection answers @status. */
static void
fail (GnForwardExchange *self,
      guint              status,
      const char        *reason)
{
  GnForwardResult result = { GN_FORWARD_FAIL, status, reason, NULL, NULL, NULL };

  drop_origin (self);
  report (self, &result);
}

static void
close_connection (GnForwardExchange *self,
                  const char        *reason)
{
  GnForwardResult result = { GN_FORWARD_CLOSE, 0, reason, NULL, NULL, NULL };

  report (self, &result);
}

static void
write_to (GnForwardExchange *self,
          GSocketConnection *to,
          GString           *data,
          GnWriteDoneFunc    func)
{
  gn_socket_write_all (to, data, self->cancellable, func,
                       gn_forward_exchange_ref (self), unref_cb);
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

/* Appends the end-to-end headers of @head, minus @skip1 and @skip2
 * (nullable). */
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
  GnForwardExchange *self = user_data;

  if (self->record != NULL)
    gn_connection_record_add_bytes (self->record, 0, n);
}

static void
on_response_body_done (GnPump       *pump,
                       const GError *error,
                       gpointer      user_data)
{
  GnForwardExchange *self = user_data;
  g_autoptr(GBytes) extra = gn_pump_steal_leftover (pump);

  g_clear_pointer (&self->pump, gn_pump_free);

  if (error != NULL)
    {
      /* Mid-body: the head is gone, all we can do is close. */
      close_connection (self, error->message);
      return;
    }

  if (!self->origin_keep_alive || extra != NULL)
    drop_origin (self);

  if (self->client_keep_alive)
    {
      GnForwardResult result = { GN_FORWARD_NEXT, 0, NULL, NULL, NULL, NULL };

      result.client_rest = g_steal_pointer (&self->client_pending);
      report (self, &result);
    }
  else
    close_connection (self, NULL);
}

static void
on_response_head_written (const GError *error,
                          gpointer      user_data)
{
  GnForwardExchange *self = user_data;
  g_autoptr(GBytes) rest = NULL;

  if (self->closed)
    return;
  if (error != NULL)
    {
      close_connection (self, NULL);
      return;
    }

  rest = gn_head_reader_take_rest (&self->reader);
  gn_head_reader_clear (&self->reader);

  self->pump = gn_pump_new (self->pool, self->origin_socket,
                            self->client_socket, self->cancellable);
  gn_pump_set_framing (self->pump, self->resp_body_kind, self->resp_content_length);
  if (rest != NULL)
    gn_pump_set_prefix (self->pump, g_bytes_get_data (rest, NULL), g_bytes_get_size (rest));
  gn_pump_start (self->pump, on_body_progress, on_response_body_done, self);
}

static void read_response (GnForwardExchange *self);

static void
on_interim_written (const GError *error,
                    gpointer      user_data)
{
  GnForwardExchange *self = user_data;

  if (self->closed)
    return;
  if (error != NULL)
    {
      close_connection (self, NULL);
      return;
    }
  read_response (self);
}

static void
on_switch_written (const GError *error,
                   gpointer      user_data)
{
  GnForwardExchange *self = user_data;
  GnForwardResult result = { GN_FORWARD_TUNNEL, 0, NULL, NULL, NULL, NULL };

  if (self->closed)
    return;
  if (error != NULL)
    {
      close_connection (self, NULL);
      return;
    }
  result.client_rest = g_steal_pointer (&self->client_pending);
  result.origin_rest = gn_head_reader_take_rest (&self->reader);
  gn_head_reader_clear (&self->reader);
  result.origin = g_steal_pointer (&self->origin);
  self->origin_socket = NULL;
  report (self, &result);
}

static void
on_response_head (GnHeadReader      *reader,
                  GnHttpParseResult  result,
                  gpointer           user_data)
{
  GnForwardExchange *self = user_data;
  GnHttpHead *head = reader->head;
  GString *out;

  if (result == GN_HTTP_PARSE_ERROR)
    {
      if (self->origin_reused && !self->retried && reader->len == 0 &&
          self->req_body_kind == GN_HTTP_BODY_NONE)
        {
          /* The kept connection died under us: once more, on a new one. */
          self->retried = TRUE;
          drop_origin (self);
          send_request (self);
          return;
        }
      fail (self, head->error_status ? head->error_status : 502, head->error_reason);
      return;
    }

  /* The upstream wants credentials we do not have (or refused ours): a
   * 407 passed on would make the client ask for a password to *us*. */
  if (head->status == 407 && gn_origin_connector_uses_upstream (self->context, self->host))
    {
      g_autofree char *reason = g_strdup_printf (_("Your proxy %s port %u asks for a user name and password "
                                                   "that GuardNest does not have or that it refused"),
                                                 self->config->upstream_host, self->config->upstream_port);

      fail (self, 502, reason);
      return;
    }

  if (head->status >= 200)
    g_clear_pointer (&self->request_head, free_string);

  if (head->status == 101 && self->req_upgrade)
    {
      out = g_string_new_len (reader->buf, head->head_len);
      if (self->record != NULL)
        gn_connection_record_set_status (self->record, 101);
      g_clear_pointer (&self->request_head, free_string);
      write_to (self, self->client, out, on_switch_written);
      return;
    }

  if (head->status < 200)
    {
      if (head->status == 101)
        {
          fail (self, 502, _("The server switched protocols without being asked to"));
          return;
        }
      /* Interim answer (100, 103): pass it on, read the real one next. */
      out = g_string_new_len (reader->buf, head->head_len);
      g_clear_pointer (&self->origin_pending, g_bytes_unref);
      self->origin_pending = gn_head_reader_take_rest (reader);
      write_to (self, self->client, out, on_interim_written);
      return;
    }

  if (!gn_http_response_has_body (head, self->req_is_head))
    self->resp_body_kind = GN_HTTP_BODY_NONE;
  else
    self->resp_body_kind = head->body_kind;
  self->resp_content_length = head->content_length;

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

  write_to (self, self->client, out, on_response_head_written);
}

static void
read_response (GnForwardExchange *self)
{
  gn_head_reader_start (&self->reader, self->origin_socket, FALSE,
                        MAX (self->config->max_head_bytes, RESPONSE_HEAD_LIMIT), GN_HTTP_MAX_HEADERS,
                        self->config->idle_timeout_s * 1000,
                        g_steal_pointer (&self->origin_pending), self->cancellable,
                        on_response_head, self);
}

/* ---- the request -------------------------------------------------------- */

static void
on_request_body_done (GnPump       *pump,
                      const GError *error,
                      gpointer      user_data)
{
  GnForwardExchange *self = user_data;

  g_clear_pointer (&self->client_pending, g_bytes_unref);
  self->client_pending = gn_pump_steal_leftover (pump);
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
      close_connection (self, error->message);
      return;
    }
  read_response (self);
}

static void
on_request_bytes (GnPump   *pump,
                  gsize     n,
                  gpointer  user_data)
{
  GnForwardExchange *self = user_data;

  if (self->record != NULL)
    gn_connection_record_add_bytes (self->record, n, 0);
}

static void
on_request_head_written (const GError *error,
                         gpointer      user_data)
{
  GnForwardExchange *self = user_data;

  if (self->closed)
    return;
  if (error != NULL)
    {
      if (self->origin_reused && !self->retried && self->req_body_kind == GN_HTTP_BODY_NONE)
        {
          self->retried = TRUE;
          drop_origin (self);
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
  if (self->client_pending != NULL)
    {
      gn_pump_set_prefix (self->pump, g_bytes_get_data (self->client_pending, NULL),
                          g_bytes_get_size (self->client_pending));
      g_clear_pointer (&self->client_pending, g_bytes_unref);
    }
  gn_pump_start (self->pump, on_request_bytes, on_request_body_done, self);
}

static void
write_request_head (GnForwardExchange *self)
{
  GString *out = g_string_new_len (self->request_head->str, self->request_head->len);

  if (self->record != NULL)
    {
      gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_OPEN);
      gn_connection_record_add_bytes (self->record, out->len, 0);
    }
  write_to (self, self->origin, out, on_request_head_written);
}

static void
on_origin_connected (GSocketConnection *origin,
                     const GError      *error,
                     gpointer           user_data)
{
  GnForwardExchange *self = user_data;

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
origin_usable (GnForwardExchange *self)
{
  if (self->origin == NULL)
    return FALSE;
  if (self->origin_port != self->port || strcmp (self->origin_host, self->host) != 0)
    return FALSE;
  /* Idle and healthy: nothing to read, no hang-up. */
  return g_socket_condition_check (self->origin_socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0;
}

static void
send_request (GnForwardExchange *self)
{
  if (origin_usable (self))
    {
      self->origin_reused = TRUE;
      write_request_head (self);
      return;
    }

  drop_origin (self);
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_CONNECTING);
  gn_origin_connector_start (&self->connector, self->context, self->socket_client,
                             self->host, self->port, FALSE, on_origin_connected, self);
}

/* The head we send to the origin: origin form (absolute form to an
 * upstream proxy, with our credentials for it), end-to-end headers only,
 * our Via token, the framing stated again. */
static GString *
build_request_head (GnForwardExchange *self,
                    const GnHttpHead  *head,
                    const char        *authority,
                    gsize              authority_len,
                    const char        *path,
                    gsize              path_len)
{
  gboolean upstream = gn_origin_connector_uses_upstream (self->context, self->host);
  GString *out = g_string_sized_new (head->head_len + 64);

  g_string_append_len (out, head->method, head->method_len);
  g_string_append_c (out, ' ');
  if (upstream)
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
  if (upstream)
    {
      g_autofree char *credentials = gn_engine_config_dup_upstream_authorization (self->config);

      if (credentials != NULL)
        g_string_append_printf (out, "Proxy-Authorization: %s\r\n", credentials);
    }
  append_headers (out, head, "Host", "Expect");
  g_string_append_printf (out, "Via: 1.%u %s\r\n", head->version_minor, self->context->via);
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
  return out;
}

static void
on_continue_written (const GError *error,
                     gpointer      user_data)
{
  GnForwardExchange *self = user_data;

  if (self->closed)
    return;
  if (error != NULL)
    {
      close_connection (self, NULL);
      return;
    }
  send_request (self);
}

void
gn_forward_exchange_send (GnForwardExchange *self,
                          const GnHttpHead  *head,
                          const char        *host,
                          guint16            port,
                          const char        *authority,
                          gsize              authority_len,
                          const char        *path,
                          gsize              path_len,
                          GBytes            *body_prefix)
{
  const GnHttpHeader *expect;

  g_assert (!self->closed && self->pump == NULL && !gn_head_reader_is_active (&self->reader));

  g_strlcpy (self->host, host, sizeof self->host);
  self->port = port;
  self->req_is_head = gn_http_method_is (head, "HEAD");
  self->req_keep_alive = head->keep_alive;
  self->req_upgrade = head->upgrade;
  self->req_version_minor = head->version_minor;
  self->req_body_kind = head->body_kind;
  self->req_content_length = head->content_length;
  self->retried = FALSE;

  g_clear_pointer (&self->request_head, free_string);
  self->request_head = build_request_head (self, head, authority, authority_len, path, path_len);
  /* Body bytes already read belong to the request body. */
  g_clear_pointer (&self->client_pending, g_bytes_unref);
  self->client_pending = body_prefix;

  /* @head is not used past this point: the writes below may end the
   * request, and the connection read the next head, at once. */
  expect = gn_http_head_find (head, "Expect");
  if (expect != NULL && self->req_body_kind != GN_HTTP_BODY_NONE &&
      gn_http_list_has_token (expect->value, expect->value_len, "100-continue"))
    {
      write_to (self, self->client, g_string_new ("HTTP/1.1 100 Continue\r\n\r\n"), on_continue_written);
      return;
    }
  send_request (self);
}
