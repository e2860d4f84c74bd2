/* gn-proxy-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A client connection (see gn-proxy-connection.h): reading heads, our own
 * answers, CONNECT tunnels. Connecting to origins is GnOriginConnector's
 * (gn-origin-connector.h, one completion callback) and plain-HTTP
 * forwarding is in gn-forward.c. What it knows of its listener comes from
 * its GnListenerContext; it tells its owner it ended through the done
 * callback it was created with, and calls nothing else of the server.
 *
 * Heads are read with non-blocking receives into a buffer that grows up to
 * the configured limit, and parsed incrementally. The header timeout runs
 * from the first byte we wait for to the end of the head, not per read, so a
 * client dribbling one byte a second (slowloris) still gets its 408.
 *
 * Our own answers end with a "lingering close": shut down our write side,
 * discard what the client still sends for a moment, then close. Closing with
 * unread data would make the kernel send a reset that can destroy the answer
 * before the client reads it.
 *
 * Lifetime: the owner (the server) holds one reference; each pending
 * asynchronous call holds another and returns early when the connection
 * was closed meanwhile. The origin connector is embedded and cancelled on
 * close, so it needs no reference.
 *
 * Threading: the connection's worker thread only (see gn-proxy-server.c).
 */

#include <string.h>

#include <gio/gnetworking.h>
#include <glib/gi18n.h>

#include "gn-block-page.h"
#include "gn-domain.h"
#include "gn-pac.h"
#include "gn-proxy-connection-private.h"
#include "gn-socket-source.h"

#define INITIAL_HEAD_BUFFER 4096
#define LINGER_MS 1000
#define RESPONSE_HEAD_LIMIT (64 * 1024)

static void on_request_head (GnProxyConnection *self, GnHttpParseResult result);

static void
record_close_cb (gpointer data)
{
  gn_proxy_connection_close (data);
}

GnProxyConnection *
gn_proxy_connection_new (GnListenerContext         *context,
                         GnBufferPool              *pool,
                         GSocketClient             *socket_client,
                         GSocketConnection         *client,
                         GnBlocklist               *blocklist,
                         gboolean                   rejected,
                         GnProxyConnectionDoneFunc  done_func,
                         gpointer                   done_data)
{
  GnProxyConnection *self = g_new0 (GnProxyConnection, 1);
  GnConnectionRegistry *registry = context->registry;

  self->ref_count = 1;
  self->context = gn_listener_context_ref (context);
  self->config = context->config;
  self->done_func = done_func;
  self->done_data = done_data;
  self->pool = pool;
  self->socket_client = socket_client;
  self->blocklist = blocklist != NULL ? gn_blocklist_ref (blocklist) : NULL;
  self->client = g_object_ref (client);
  self->client_socket = g_socket_connection_get_socket (client);
  self->cancellable = g_cancellable_new ();
  self->link.data = self;
  self->kind = GN_CONNECTION_KIND_UNKNOWN;
  self->rejected = rejected;

  if (registry != NULL && !rejected)
    {
      g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (client, NULL);
      g_autofree char *address = NULL;
      guint16 port = 0;

      if (G_IS_INET_SOCKET_ADDRESS (remote))
        {
          address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
          port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
        }
      self->record = gn_connection_registry_open (registry, address ? address : "", port,
                                                  record_close_cb, self);
    }

  return self;
}

GnProxyConnection *
gn_proxy_connection_ref (GnProxyConnection *self)
{
  g_assert (self->ref_count > 0);
  self->ref_count++;
  return self;
}

void
_gn_proxy_connection_clear_sources (GnProxyConnection *self)
{
  if (self->read_source != NULL)
    {
      g_source_destroy (self->read_source);
      g_clear_pointer (&self->read_source, g_source_unref);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

void
gn_proxy_connection_unref (GnProxyConnection *self)
{
  g_assert (self->ref_count > 0);
  if (--self->ref_count > 0)
    return;

  g_assert (self->closing);
  _gn_proxy_connection_clear_sources (self);
  _gn_forward_clear (self);
  g_clear_pointer (&self->tunnel, gn_tunnel_free);
  g_clear_pointer (&self->head, g_free);
  g_clear_pointer (&self->head_buf, g_free);
  g_clear_pointer (&self->pending, g_bytes_unref);
  gn_origin_connector_cancel (&self->connector);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_pointer (&self->context, gn_listener_context_unref);
  g_free (self);
}

gboolean
gn_proxy_connection_is_idle (GnProxyConnection *self)
{
  return self->idle && !self->closing;
}

/* Ends everything now; safe to call more than once. */
void
_gn_proxy_connection_finish (GnProxyConnection *self,
                             const char        *error_reason)
{
  if (self->closing)
    return;
  self->closing = TRUE;

  g_cancellable_cancel (self->cancellable);
  gn_origin_connector_cancel (&self->connector);
  _gn_proxy_connection_clear_sources (self);
  g_clear_pointer (&self->tunnel, gn_tunnel_free);
  _gn_forward_clear (self);

  g_io_stream_close (G_IO_STREAM (self->client), NULL, NULL);

  if (self->record != NULL && error_reason != NULL)
    gn_connection_record_set_error (self->record, 0, error_reason);

  /* The owner frees our place under max_connections, closes the record,
   * then drops its reference: may free self. */
  self->done_func (self, self->done_data);
}

GList *
gn_proxy_connection_get_link (GnProxyConnection *self)
{
  return &self->link;
}

gboolean
gn_proxy_connection_is_rejected (GnProxyConnection *self)
{
  return self->rejected;
}

void
gn_proxy_connection_close_record (GnProxyConnection *self)
{
  if (self->record != NULL)
    {
      gn_connection_registry_close (self->context->registry, self->record);
      self->record = NULL;
    }
}

void
gn_proxy_connection_reject (GnProxyConnection *self)
{
  g_assert (self->rejected);
  _gn_proxy_connection_respond (self, 503, NULL,
                                "503 Service Unavailable: too many connections, try again shortly\n",
                                "Too many connections");
}

void
gn_proxy_connection_close (GnProxyConnection *self)
{
  _gn_proxy_connection_finish (self, NULL);
}

/* ---- reading a head ---------------------------------------------------- */

static void head_read_more (GnProxyConnection *self);

static void
head_done (GnProxyConnection *self,
           GnHttpParseResult  result)
{
  _gn_proxy_connection_clear_sources (self);
  self->head_func (self, result);
}

static gboolean
on_head_readable (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  GnProxyConnection *self = user_data;

  g_clear_pointer (&self->read_source, g_source_unref);
  head_read_more (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_head_timeout (gpointer user_data)
{
  GnProxyConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  self->head->error_status = self->head_is_request ? 408 : 504;
  self->head->error_reason = self->head_is_request ? _("Timed out reading the request head")
                                                   : _("The server did not answer in time");
  head_done (self, GN_HTTP_PARSE_ERROR);
  return G_SOURCE_REMOVE;
}

static GnHttpParseResult
head_parse (GnProxyConnection *self)
{
  if (self->head_is_request)
    return gn_http_parse_request (&self->parser, self->head_buf, self->head_len, self->head);
  return gn_http_parse_response (&self->parser, self->head_buf, self->head_len, self->head);
}

static void
head_read_more (GnProxyConnection *self)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GnHttpParseResult result;
      gssize n;

      if (self->head_len == self->head_cap)
        {
          /* Grow up to one byte past the limit: enough to tell "too large". */
          self->head_cap = MIN (self->head_cap * 2, self->head_limit + 1);
          self->head_buf = g_realloc (self->head_buf, self->head_cap);
        }

      n = g_socket_receive_with_blocking (self->head_socket, self->head_buf + self->head_len,
                                          self->head_cap - self->head_len, FALSE,
                                          self->cancellable, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* Finishing destroys the source itself. */
          self->read_source = gn_socket_source_new (self->head_socket, G_IO_IN,
                                                    on_head_readable, self);
          return;
        }
      if (n <= 0)
        {
          /* Closed or reset: status 0 means "just close". */
          self->head->error_status = self->head_is_request ? 0 : 502;
          self->head->error_reason = self->head_is_request
            ? (self->head_len > 0 ? _("The client closed the connection mid-request") : NULL)
            : _("The server closed the connection without answering");
          head_done (self, GN_HTTP_PARSE_ERROR);
          return;
        }

      self->idle = FALSE;
      self->head_len += n;
      result = head_parse (self);
      if (result != GN_HTTP_PARSE_NEED_MORE)
        {
          head_done (self, result);
          return;
        }
    }
}

void
_gn_proxy_connection_read_head (GnProxyConnection *self,
                                GSocket           *socket,
                                gboolean           is_request,
                                guint              timeout_ms,
                                GnHeadReadFunc     func)
{
  GnHttpParseResult result = GN_HTTP_PARSE_NEED_MORE;

  g_assert (self->read_source == NULL && self->timer == NULL);

  self->head_socket = socket;
  self->head_is_request = is_request;
  self->head_func = func;
  self->head_limit = is_request ? self->config->max_head_bytes
                                : MAX (self->config->max_head_bytes, RESPONSE_HEAD_LIMIT);
  gn_http_parser_init (&self->parser, self->head_limit,
                       is_request ? self->config->max_headers : GN_HTTP_MAX_HEADERS);
  if (self->head == NULL)
    self->head = g_new0 (GnHttpHead, 1);

  g_clear_pointer (&self->head_buf, g_free);
  self->head_len = 0;
  self->head_cap = MIN (INITIAL_HEAD_BUFFER, self->head_limit + 1);

  /* Bytes already read past the previous message come first. */
  if ((is_request ? self->pending : self->origin_pending) != NULL)
    {
      GBytes **prefix = is_request ? &self->pending : &self->origin_pending;
      gsize len;
      const char *data = g_bytes_get_data (*prefix, &len);

      self->head_cap = MAX (self->head_cap, len);
      self->head_buf = g_malloc (self->head_cap);
      memcpy (self->head_buf, data, len);
      self->head_len = len;
      g_clear_pointer (prefix, g_bytes_unref);
      result = head_parse (self);
    }
  else
    self->head_buf = g_malloc (self->head_cap);

  if (result != GN_HTTP_PARSE_NEED_MORE)
    {
      self->head_func (self, result);
      return;
    }

  if (timeout_ms > 0)
    {
      self->timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (self->timer, on_head_timeout, self, NULL);
      g_source_attach (self->timer, g_main_context_get_thread_default ());
    }
  head_read_more (self);
}

GBytes *
_gn_proxy_connection_take_rest (GnProxyConnection *self)
{
  if (self->head_buf == NULL || self->head->head_len >= self->head_len)
    return NULL;
  return g_bytes_new (self->head_buf + self->head->head_len, self->head_len - self->head->head_len);
}

void
_gn_proxy_connection_drop_head (GnProxyConnection *self)
{
  g_clear_pointer (&self->head, g_free);
  g_clear_pointer (&self->head_buf, g_free);
  self->head_len = self->head_cap = 0;
}

/* ---- writing ------------------------------------------------------------ */

static void
on_write_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  g_autoptr(GError) error = NULL;
  GnWriteDoneFunc func = self->write_func;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_string_free (g_steal_pointer (&self->out), TRUE);
  self->write_func = NULL;
  if (!self->closing)
    func (self, error);
  gn_proxy_connection_unref (self);
}

void
_gn_proxy_connection_write (GnProxyConnection *self,
                            GIOStream         *stream,
                            GString           *data,
                            GnWriteDoneFunc    func)
{
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  gssize n;

  g_assert (self->out == NULL);

  /* Our writes are small (a head, an answer): the socket buffer almost
   * always takes them at once, with no GTask and no source. */
  n = g_socket_send_with_blocking (socket, data->str, data->len, FALSE, NULL, NULL);
  if (n == (gssize) data->len)
    {
      g_string_free (data, TRUE);
      /* @func may finish the connection: keep it alive until we return. */
      gn_proxy_connection_ref (self);
      func (self, NULL);
      gn_proxy_connection_unref (self);
      return;
    }
  if (n > 0)
    g_string_erase (data, 0, n);

  self->out = data;
  self->write_func = func;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   data->str, data->len, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_write_done,
                                   gn_proxy_connection_ref (self));
}

/* ---- our own answers ------------------------------------------------------- */

static gboolean
on_linger_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  char scratch[4096];
  gssize n;

  do
    n = g_socket_receive_with_blocking (socket, scratch, sizeof scratch, FALSE, NULL, NULL);
  while (n > 0);

  if (n == 0 || (condition & (G_IO_HUP | G_IO_ERR)) != 0)
    {
      _gn_proxy_connection_finish (self, NULL);
      return G_SOURCE_REMOVE;
    }
  /* Would block (n < 0 with EAGAIN) keeps waiting; other errors end it. */
  if (g_socket_condition_check (socket, G_IO_ERR | G_IO_HUP) != 0)
    {
      _gn_proxy_connection_finish (self, NULL);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_linger_timeout (gpointer user_data)
{
  GnProxyConnection *self = user_data;

  _gn_proxy_connection_finish (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_response_written (GnProxyConnection *self,
                     const GError      *error)
{
  if (error != NULL)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }

  g_socket_shutdown (self->client_socket, FALSE, TRUE, NULL);
  _gn_proxy_connection_clear_sources (self);
  self->read_source = gn_socket_source_new (self->client_socket, G_IO_IN, on_linger_readable, self);
  self->timer = g_timeout_source_new (LINGER_MS);
  g_source_set_callback (self->timer, on_linger_timeout, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
}

void
_gn_proxy_connection_respond (GnProxyConnection *self,
                              guint              status,
                              const char        *content_type,
                              const char        *body,
                              const char        *reason_for_log)
{
  GString *out = g_string_sized_new (256 + (body ? strlen (body) : 0));
  gsize body_len = body ? strlen (body) : 0;

  _gn_forward_clear (self);
  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, gn_http_status_phrase (status));
  if (status == 503)
    g_string_append (out, "Retry-After: 1\r\n");
  g_string_append_printf (out,
                          "Content-Type: %s\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Cache-Control: no-store\r\n"
                          "Connection: close\r\n\r\n",
                          content_type ? content_type : "text/plain; charset=utf-8",
                          body_len);
  if (body_len > 0 && !(self->head != NULL && gn_http_method_is (self->head, "HEAD")))
    g_string_append_len (out, body, body_len);

  if (self->record != NULL)
    {
      if (status >= 400 && self->kind != GN_CONNECTION_KIND_BLOCKED)
        gn_connection_record_set_error (self->record, status, reason_for_log);
      else
        gn_connection_record_set_status (self->record, status);
    }

  _gn_proxy_connection_write (self, G_IO_STREAM (self->client), out, on_response_written);
}

static void
respond_text (GnProxyConnection *self,
              guint              status,
              const char        *text)
{
  g_autofree char *body = g_strdup_printf ("%u %s: %s\n", status, gn_http_status_phrase (status), text);

  if (status >= 400 && self->kind != GN_CONNECTION_KIND_BLOCKED)
    self->kind = GN_CONNECTION_KIND_ERROR;
  _gn_proxy_connection_respond (self, status, NULL, body, text);
}

gboolean
_gn_proxy_connection_uses_upstream (GnProxyConnection *self)
{
  return gn_origin_connector_uses_upstream (self->config, self->host);
}

/* Puts a target address in its one canonical spelling
 * (gn_domain_canonical_address()), in place, right after parsing: the
 * blocklist, the self-loop check and the connection then all see the same
 * address, so "[::ffff:127.0.0.1]", "2130706433" or "127.1" cannot reach a
 * host that "127.0.0.1" blocks. Names are left alone. Returns FALSE for the
 * unspecified addresses ("0.0.0.0", "::"): they name no remote host, and
 * connecting to them reaches this machine (Linux), around any rule. */
gboolean
_gn_proxy_connection_canonicalize_host (GnProxyConnection *self)
{
  char canonical[GN_ADDRESS_MAX];
  gsize len = gn_domain_canonical_address (self->host, -1, canonical);

  if (len == 0)
    return TRUE;
  G_STATIC_ASSERT (GN_ADDRESS_MAX <= GN_HTTP_HOST_MAX);
  memcpy (self->host, canonical, len + 1);
  return !g_str_equal (self->host, "0.0.0.0") && !g_str_equal (self->host, "::");
}

/* Records the verdict and answers 403 if the host is blocked. */
gboolean
_gn_proxy_connection_check_blocked (GnProxyConnection *self,
                                    gboolean           html)
{
  GnMatch match;
  g_autofree char *body = NULL;
  g_autofree char *reason = NULL;

  if (gn_blocklist_lookup (self->blocklist, self->host, &match) != GN_MATCH_BLOCK)
    return FALSE;

  self->kind = GN_CONNECTION_KIND_BLOCKED;
  if (self->record != NULL)
    {
      gn_connection_record_set_target (self->record, self->host, self->port, GN_CONNECTION_KIND_BLOCKED);
      gn_connection_record_set_verdict (self->record, match.list_name, match.rule);
    }

  reason = g_strdup_printf (_("%s is blocked by the list “%s” (rule %s)"),
                            self->host, match.list_name ? match.list_name : "",
                            match.rule ? match.rule : "");
  if (html)
    {
      body = gn_block_page_blocked (self->host, match.list_name, match.rule);
      _gn_proxy_connection_respond (self, 403, "text/html; charset=utf-8", body, reason);
    }
  else
    {
      body = g_strdup_printf ("403 Forbidden: %s\n", reason);
      _gn_proxy_connection_respond (self, 403, NULL, body, reason);
    }
  return TRUE;
}

/* ---- tunnels --------------------------------------------------------------- */

static void
on_tunnel_bytes (guint64  up,
                 guint64  down,
                 gpointer user_data)
{
  GnProxyConnection *self = user_data;

  if (self->record != NULL)
    gn_connection_record_add_bytes (self->record, up, down);
}

static void
on_tunnel_done (GnTunnel     *tunnel,
                const GError *error,
                gpointer      user_data)
{
  GnProxyConnection *self = user_data;

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    _gn_proxy_connection_finish (self, _("Closed after the idle timeout"));
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    _gn_proxy_connection_finish (self, error->message);
  else
    _gn_proxy_connection_finish (self, NULL);
}

void
_gn_proxy_connection_start_tunnel (GnProxyConnection *self,
                                   GSocket           *origin,
                                   GBytes            *to_origin,
                                   GBytes            *to_client)
{
  self->tunnel = gn_tunnel_new (self->pool, self->client_socket,
                                origin, self->cancellable, self->config->idle_timeout_s);
  gn_tunnel_set_prefixes (self->tunnel, to_origin, to_client);
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_OPEN);
  gn_tunnel_start (self->tunnel, on_tunnel_bytes, on_tunnel_done, self);
}

static void
on_established_written (GnProxyConnection *self,
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
  _gn_proxy_connection_start_tunnel (self, self->origin_socket, rest, NULL);
}

static void
on_connect_origin (GSocketConnection *origin,
                   const GError      *error,
                   gpointer           user_data)
{
  GnProxyConnection *self = user_data;

  if (origin == NULL)
    {
      respond_text (self, error->code, error->message);
      return;
    }

  /* The tunnel keeps the origin in the forwarding slot; closing clears it. */
  self->origin = origin;
  self->origin_socket = g_socket_connection_get_socket (origin);
  _gn_proxy_connection_write (self, G_IO_STREAM (self->client),
                              g_string_new ("HTTP/1.1 200 Connection established\r\n\r\n"),
                              on_established_written);
}

static void
handle_connect (GnProxyConnection *self)
{
  GnHttpHead *head = self->head;

  self->kind = GN_CONNECTION_KIND_TUNNEL;
  if (!gn_http_parse_authority (head->target, head->target_len, 0, self->host, &self->port))
    {
      respond_text (self, 400, _("The CONNECT target is not a valid host:port"));
      return;
    }
  if (!_gn_proxy_connection_canonicalize_host (self))
    {
      respond_text (self, 400, "The CONNECT target is not an address one can connect to");
      return;
    }
  if (self->record != NULL)
    gn_connection_record_set_target (self->record, self->host, self->port, GN_CONNECTION_KIND_TUNNEL);

  if (_gn_proxy_connection_check_blocked (self, FALSE))
    return;

  if (gn_listener_context_is_self (self->context, self->host, self->port))
    {
      respond_text (self, 508, _("The target is this proxy itself"));
      return;
    }

  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_CONNECTING);
  gn_origin_connector_start (&self->connector, self->context, self->socket_client,
                             self->host, self->port, TRUE, on_connect_origin, self);
}

/* The host our own PAC script names: the listening address, or loopback
 * when we listen on every address. */
static char *
pac_proxy_host (GnProxyConnection *self)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->config->bind_address);

  if (address == NULL || g_inet_address_get_is_any (address))
    return g_strdup ("127.0.0.1");
  return g_inet_address_to_string (address);
}

typedef enum
{
  OWN_NONE,
  OWN_PAC,
  OWN_STATUS,
} OwnPage;

/* Which of our own pages a request for @path asks for. */
static OwnPage
own_page (GnProxyConnection *self,
          const char        *path,
          gsize              path_len,
          gboolean           any_path)
{
  GnHttpHead *head = self->head;
  gboolean get = gn_http_method_is (head, "GET") || gn_http_method_is (head, "HEAD");
  gsize bare_len = 0;

  /* The path without its query. */
  while (bare_len < path_len && path[bare_len] != '?' && path[bare_len] != '#')
    bare_len++;

  if (get && bare_len == strlen (GN_PAC_PATH) && memcmp (path, GN_PAC_PATH, bare_len) == 0)
    return OWN_PAC;
  if (any_path || (get && bare_len == 1 && path[0] == '/'))
    return OWN_STATUS;
  return OWN_NONE;
}

static void
respond_own_page (GnProxyConnection *self,
                  OwnPage            page)
{
  if (page == OWN_PAC)
    {
      g_autofree char *host = pac_proxy_host (self);
      g_autofree char *script = gn_pac_script (host, self->context->port,
                                               (const char * const *) self->config->pac_bypass);

      _gn_proxy_connection_respond (self, 200, GN_PAC_CONTENT_TYPE, script, NULL);
    }
  else
    {
      g_autofree char *body = gn_block_page_status (self->context->port,
                                                    (guint) g_atomic_int_get (&self->context->n_connections));

      _gn_proxy_connection_respond (self, 200, "text/html; charset=utf-8", body, NULL);
    }
}

gboolean
_gn_proxy_connection_respond_own (GnProxyConnection *self,
                                  const char        *path,
                                  gsize              path_len,
                                  gboolean           any_path)
{
  OwnPage page = own_page (self, path, path_len, any_path);

  if (page == OWN_NONE)
    return FALSE;
  respond_own_page (self, page);
  return TRUE;
}

/* A request in origin form is for us: our pages answer only when its Host
 * names us (gn_listener_context_is_own_authority()), so that a web page
 * whose name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read
 * them as its own origin: it gets 421. */
static void
handle_origin_form (GnProxyConnection *self)
{
  GnHttpHead *head = self->head;
  OwnPage page = own_page (self, head->target, head->target_len, FALSE);
  const GnHttpHeader *host;

  if (page == OWN_NONE)
    {
      respond_text (self, 400, _("This is a proxy: send absolute URLs (http://host/path) or CONNECT"));
      return;
    }
  host = gn_http_head_find (head, "Host");
  if (host == NULL ||
      !gn_listener_context_is_own_authority (self->context, host->value, host->value_len,
                                             self->client_socket))
    {
      respond_text (self, 421, _("This proxy answers its own pages only at its own address "
                                 "(http://127.0.0.1:PORT/ or http://localhost:PORT/)"));
      return;
    }
  respond_own_page (self, page);
}

static void
on_request_head (GnProxyConnection *self,
                 GnHttpParseResult  result)
{
  GnHttpHead *head = self->head;

  if (result == GN_HTTP_PARSE_ERROR)
    {
      if (head->error_status == 0)
        _gn_proxy_connection_finish (self, head->error_reason);
      else if (head->error_status == 408 && self->n_requests > 0 && self->head_len == 0)
        _gn_proxy_connection_finish (self, NULL);  /* an idle keep-alive connection */
      else
        respond_text (self, head->error_status, head->error_reason);
      return;
    }

  self->n_requests++;
  if (self->record != NULL)
    gn_connection_record_count_request (self->record);

  if (gn_http_method_is (head, "CONNECT"))
    {
      if (self->n_requests > 1)
        {
          respond_text (self, 400, "CONNECT must be the first request on a connection");
          return;
        }
      handle_connect (self);
    }
  else if (head->target_len >= 7 && g_ascii_strncasecmp (head->target, "http://", 7) == 0)
    _gn_forward_request (self);
  else if (head->target_len > 0 && head->target[0] == '/')
    handle_origin_form (self);
  else
    respond_text (self, 400, _("Unsupported request target"));
}

void
_gn_proxy_connection_next_request (GnProxyConnection *self)
{
  /* Draining ends keep-alive connections between requests; a new one
   * (maybe accepted just before the stop) still gets its first request
   * served, within the drain timeout. */
  if (gn_listener_context_is_draining (self->context) && self->pending == NULL && self->n_requests > 0)
    {
      _gn_proxy_connection_finish (self, NULL);
      return;
    }
  self->idle = self->pending == NULL && self->n_requests > 0;
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_READING);
  _gn_proxy_connection_read_head (self, self->client_socket, TRUE,
                                  self->config->header_timeout_ms, on_request_head);
}

void
gn_proxy_connection_start (GnProxyConnection *self)
{
  g_socket_set_option (self->client_socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  _gn_proxy_connection_next_request (self);
}
