/* gn-proxy-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A client connection (see gn-proxy-connection.h): it reads request heads
 * (a GnHeadReader), decides (target, blocklist, self-loop), and then
 * answers itself (errors, blocked hosts, our own pages), opens a CONNECT
 * tunnel (a GnOriginConnector, then a GnTunnel), or hands a plain-HTTP
 * request to its GnForwardExchange (gn-forward.h), which reports back
 * through one callback. It knows its listener through its
 * GnListenerContext and tells its owner it ended through its done
 * callback; no part it uses calls into this file but through the one
 * completion callback it was given.
 *
 * Which program made the connection: when the listener's config has a
 * GnPeerIdentifier and the client is on this machine, the lookup starts
 * as the connection starts and its answer goes into the registry record.
 * A blocked answer (403, the block page) waits for it, up to
 * config->peer_wait_ms, without holding the thread: the answer is kept and
 * sent by the lookup's callback or a timer, whichever comes first
 * (GnPeerWait, gn-peer-wait.h), so that the client (curl closes within
 * milliseconds of a 403) is still there to be looked up. Other answers
 * never wait.
 *
 * Our own answers end with a "lingering close": shut down our write side,
 * discard what the client still sends for a moment, then close. Closing with
 * unread data would make the kernel send a reset that can destroy the answer
 * before the client reads it.
 *
 * One request at a time: the next head is read only when the previous
 * request is done, and CONNECT is only ever the first request, so a client
 * that pipelines 200 CONNECTs in one write has at most one origin
 * connection in flight (and a refused one ends the connection).
 *
 * Lifetime: the owner (the server) holds one reference; each pending
 * asynchronous write holds another and does nothing once the connection is
 * closed. The reader, the connector and the linger sources are embedded or
 * owned and stopped on close, so they need no reference.
 *
 * Threading: the connection's worker thread only (see gn-proxy-server.c).
 */

#include <string.h>

#include <gio/gnetworking.h>
#include <glib/gi18n.h>

#include "gn-block-page.h"
#include "gn-domain.h"
#include "gn-forward.h"
#include "gn-head-reader.h"
#include "gn-origin-connector.h"
#include "gn-own-pages.h"
#include "gn-peer-wait.h"
#include "gn-proxy-connection.h"
#include "gn-socket-source.h"
#include "gn-socket-write.h"
#include "gn-tunnel.h"

#define LINGER_MS 1000

struct _GnProxyConnection
{
  guint               ref_count;     /* the owner's plus one per pending write */
  GnListenerContext  *context;       /* (owned) the listener's, fixed */
  GnEngineConfig     *config;        /* (unowned) context->config */
  GnProxyConnectionDoneFunc done_func;
  gpointer            done_data;
  GnBufferPool       *pool;          /* (unowned) the worker's */
  GSocketClient      *socket_client; /* (unowned) the worker's */
  GnBlocklist        *blocklist;     /* (owned) (nullable) the rules it started with */
  GnConnectionRecord *record;        /* (unowned) (nullable) registry entry */
  GList               link;          /* in the owner's list */

  GSocketConnection  *client;        /* (owned) */
  GSocket            *client_socket; /* (unowned) */
  GCancellable       *cancellable;   /* (owned) cancels everything in flight */

  GnHeadReader        reader;        /* request heads */
  GBytes             *pending;       /* (owned) (nullable) client bytes past the last message */
  GSource            *linger_source; /* (owned) (nullable) after our own answer */
  GSource            *linger_timer;  /* (owned) (nullable) */
  GnPeerWait          peer_wait;     /* which program; a blocked answer waiting for it */

  /* The target */
  char                host[GN_HTTP_HOST_MAX];
  guint16             port;
  GnConnectionKind    kind;
  guint               n_requests;
  gboolean            idle;          /* kept alive, waiting for its next request */
  gboolean            closing;
  gboolean            rejected;      /* answering 503 past max_connections */

  GnOriginConnector   connector;     /* CONNECT: idle unless connecting */
  GSocketConnection  *origin;        /* (owned) (nullable) a tunnel's origin */
  GnTunnel           *tunnel;        /* (owned) (nullable) */
  GnForwardExchange  *forward;       /* (owned) (nullable) from the first plain request on */
};

static void on_request_head (GnHeadReader *reader, GnHttpParseResult result, gpointer user_data);
static void next_request (GnProxyConnection *self);

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

static void
clear_linger (GnProxyConnection *self)
{
  if (self->linger_source != NULL)
    {
      g_source_destroy (self->linger_source);
      g_clear_pointer (&self->linger_source, g_source_unref);
    }
  if (self->linger_timer != NULL)
    {
      g_source_destroy (self->linger_timer);
      g_clear_pointer (&self->linger_timer, g_source_unref);
    }
}

static void
close_origin (GnProxyConnection *self)
{
  if (self->origin != NULL)
    {
      g_io_stream_close (G_IO_STREAM (self->origin), NULL, NULL);
      g_clear_object (&self->origin);
    }
}

static void
close_forward (GnProxyConnection *self)
{
  if (self->forward != NULL)
    {
      gn_forward_exchange_close (self->forward);
      g_clear_pointer (&self->forward, gn_forward_exchange_unref);
    }
}

void
gn_proxy_connection_unref (GnProxyConnection *self)
{
  g_assert (self->ref_count > 0);
  if (--self->ref_count > 0)
    return;

  g_assert (self->closing);
  clear_linger (self);
  gn_peer_wait_clear (&self->peer_wait);
  gn_head_reader_clear (&self->reader);
  gn_origin_connector_cancel (&self->connector);
  close_forward (self);
  g_clear_pointer (&self->tunnel, gn_tunnel_free);
  close_origin (self);
  g_clear_pointer (&self->pending, g_bytes_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_pointer (&self->context, gn_listener_context_unref);
  g_free (self);
}

static void
unref_cb (gpointer data)
{
  gn_proxy_connection_unref (data);
}

gboolean
gn_proxy_connection_is_idle (GnProxyConnection *self)
{
  return self->idle && !self->closing && self->reader.len == 0;
}

/* Ends everything now; safe to call more than once. */
static void
finish (GnProxyConnection *self,
        const char        *error_reason)
{
  if (self->closing)
    return;
  self->closing = TRUE;

  g_cancellable_cancel (self->cancellable);
  gn_origin_connector_cancel (&self->connector);
  gn_head_reader_cancel (&self->reader);
  clear_linger (self);
  gn_peer_wait_clear (&self->peer_wait);
  g_clear_pointer (&self->tunnel, gn_tunnel_free);
  close_forward (self);
  close_origin (self);

  g_io_stream_close (G_IO_STREAM (self->client), NULL, NULL);

  if (self->record != NULL && error_reason != NULL)
    gn_connection_record_set_error (self->record, 0, error_reason);

  /* The owner frees our place under max_connections, closes the record,
   * then drops its reference: may free self. */
  self->done_func (self, self->done_data);
}

void
gn_proxy_connection_close (GnProxyConnection *self)
{
  finish (self, NULL);
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

/* The engine's rules changed (gn-proxy-server.c, on our worker): the next
 * request on this connection is checked against @blocklist, and a tunnel
 * or a kept-alive exchange whose target it now blocks (or a connection
 * still reaching that target) ends now, both sockets, so nothing more goes
 * to the origin. One lookup; answers of ours already under way (a 403, an
 * error, a page) are left to finish. */
gboolean
gn_proxy_connection_apply_blocklist (GnProxyConnection *self,
                                     GnBlocklist       *blocklist)
{
  GnMatch match;

  if (self->closing || self->rejected || self->blocklist == blocklist)
    return FALSE;

  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  self->blocklist = gn_blocklist_ref (blocklist);

  if (self->host[0] == '\0' ||
      (self->kind != GN_CONNECTION_KIND_TUNNEL && self->kind != GN_CONNECTION_KIND_HTTP) ||
      gn_blocklist_lookup (blocklist, self->host, &match) != GN_MATCH_BLOCK)
    return FALSE;

  if (self->record != NULL)
    gn_connection_record_set_now_blocked (self->record, match.list_name, match.rule,
                                          _("Closed: now blocked"));
  finish (self, NULL);
  return TRUE;
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
      finish (self, NULL);
      return G_SOURCE_REMOVE;
    }
  /* Would block (n < 0 with EAGAIN) keeps waiting; other errors end it. */
  if (g_socket_condition_check (socket, G_IO_ERR | G_IO_HUP) != 0)
    {
      finish (self, NULL);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_linger_timeout (gpointer user_data)
{
  GnProxyConnection *self = user_data;

  finish (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_response_written (const GError *error,
                     gpointer      user_data)
{
  GnProxyConnection *self = user_data;

  if (self->closing)
    return;
  if (error != NULL)
    {
      finish (self, NULL);
      return;
    }

  g_socket_shutdown (self->client_socket, FALSE, TRUE, NULL);
  clear_linger (self);
  self->linger_source = gn_socket_source_new (self->client_socket, G_IO_IN, on_linger_readable, self);
  self->linger_timer = g_timeout_source_new (LINGER_MS);
  g_source_set_callback (self->linger_timer, on_linger_timeout, self, NULL);
  g_source_attach (self->linger_timer, g_main_context_get_thread_default ());
}

static void
write_client (GnProxyConnection *self,
              GString           *data,
              GnWriteDoneFunc    func)
{
  gn_socket_write_all (self->client, data, self->cancellable, func,
                       gn_proxy_connection_ref (self), unref_cb);
}

/* The blocked answer kept for the app name (gn-peer-wait.h). */
static void
on_answer_released (GString  *answer,
                    gpointer  data)
{
  write_client (data, answer, on_response_written);
}

/* Writes a complete response of ours and closes the connection. */
static void
respond (GnProxyConnection *self,
         guint              status,
         const char        *content_type,
         const char        *body,
         const char        *reason_for_log)
{
  GnHttpHead *head = self->reader.head;
  GString *out;

  close_forward (self);  /* nothing else goes out on this connection */
  out = gn_block_page_response (status, content_type, body,
                                !(head != NULL && gn_http_method_is (head, "HEAD")));

  if (self->record != NULL)
    {
      if (status >= 400 && self->kind != GN_CONNECTION_KIND_BLOCKED)
        gn_connection_record_set_error (self->record, status, reason_for_log);
      else
        gn_connection_record_set_status (self->record, status);
    }

  if (self->kind == GN_CONNECTION_KIND_BLOCKED &&
      gn_peer_wait_hold (&self->peer_wait, out, self->config->peer_wait_ms))
    return;
  write_client (self, out, on_response_written);
}

void
gn_proxy_connection_reject (GnProxyConnection *self)
{
  g_assert (self->rejected);
  respond (self, 503, NULL,
           "503 Service Unavailable: too many connections, try again shortly\n",
           "Too many connections");
}

static void
respond_text (GnProxyConnection *self,
              guint              status,
              const char        *text)
{
  g_autofree char *body = g_strdup_printf ("%u %s: %s\n", status, gn_http_status_phrase (status), text);

  if (status >= 400 && self->kind != GN_CONNECTION_KIND_BLOCKED)
    self->kind = GN_CONNECTION_KIND_ERROR;
  respond (self, status, NULL, body, text);
}

/* An error page for a browser (plain-HTTP requests). */
static void
respond_error_page (GnProxyConnection *self,
                    guint              status,
                    const char        *reason)
{
  g_autofree char *body = gn_block_page_error (status, reason);

  self->kind = GN_CONNECTION_KIND_ERROR;
  respond (self, status, "text/html; charset=utf-8", body, reason);
}

/* Puts a target address in its one canonical spelling
 * (gn_domain_canonical_address()), in place, right after parsing: the
 * blocklist, the self-loop check and the connection then all see the same
 * address, so "[::ffff:127.0.0.1]", "2130706433" or "127.1" cannot reach a
 * host that "127.0.0.1" blocks. Names are left alone. Returns FALSE for the
 * unspecified addresses ("0.0.0.0", "::"): they name no remote host, and
 * connecting to them reaches this machine (Linux), around any rule. */
static gboolean
canonicalize_host (GnProxyConnection *self)
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
static gboolean
check_blocked (GnProxyConnection *self,
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
      respond (self, 403, "text/html; charset=utf-8", body, reason);
    }
  else
    {
      body = g_strdup_printf ("403 Forbidden: %s\n", reason);
      respond (self, 403, NULL, body, reason);
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
    finish (self, _("Closed after the idle timeout"));
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    finish (self, error->message);
  else
    finish (self, NULL);
}

/* Tunnels the client to @origin (taken). */
static void
start_tunnel (GnProxyConnection *self,
              GSocketConnection *origin,
              GBytes            *to_origin,
              GBytes            *to_client)
{
  self->origin = origin;
  self->tunnel = gn_tunnel_new (self->pool, self->client_socket,
                                g_socket_connection_get_socket (origin),
                                self->cancellable, self->config->idle_timeout_s);
  gn_tunnel_set_prefixes (self->tunnel, to_origin, to_client);
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_OPEN);
  gn_tunnel_start (self->tunnel, on_tunnel_bytes, on_tunnel_done, self);
}

static void
on_established_written (const GError *error,
                        gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  g_autoptr(GBytes) rest = NULL;

  if (self->closing)
    return;
  if (error != NULL)
    {
      finish (self, NULL);
      return;
    }

  rest = gn_head_reader_take_rest (&self->reader);
  gn_head_reader_clear (&self->reader);
  start_tunnel (self, g_steal_pointer (&self->origin), rest, NULL);
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

  /* Kept here until the 200 is out; closing closes it. */
  self->origin = origin;
  write_client (self, g_string_new ("HTTP/1.1 200 Connection established\r\n\r\n"),
                on_established_written);
}

static void
handle_connect (GnProxyConnection *self)
{
  GnHttpHead *head = self->reader.head;

  self->kind = GN_CONNECTION_KIND_TUNNEL;
  if (!gn_http_parse_authority (head->target, head->target_len, 0, self->host, &self->port))
    {
      respond_text (self, 400, _("The CONNECT target is not a valid host:port"));
      return;
    }
  if (!canonicalize_host (self))
    {
      respond_text (self, 400, "The CONNECT target is not an address one can connect to");
      return;
    }
  if (self->record != NULL)
    gn_connection_record_set_target (self->record, self->host, self->port, GN_CONNECTION_KIND_TUNNEL);

  if (check_blocked (self, FALSE))
    return;

  /* What the name or address says; the connector checks the socket it
   * actually reaches too. */
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

/* ---- our own pages --------------------------------------------------------- */

/* Whether the client connected from this computer. */
static gboolean
client_is_loopback (GnProxyConnection *self)
{
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (self->client_socket, NULL);

  return gn_domain_is_loopback_socket_address (remote);
}

static void
respond_own_page (GnProxyConnection *self,
                  GnOwnPage          page)
{
  const char *content_type = NULL;
  g_autofree char *body = NULL;

  if (page == GN_OWN_PAGE_METRICS && !self->config->metrics)
    {
      respond_text (self, 404, _("The metrics are off: turn them on with “metrics=true” in the "
                                 "[engine] group of settings.ini, or start “guardnest --headless "
                                 "--metrics”"));
      return;
    }
  if (page == GN_OWN_PAGE_METRICS && !client_is_loopback (self))
    {
      respond_text (self, 403, _("The metrics are served to programs on this computer only"));
      return;
    }
  body = gn_own_page_render (page, self->context, &content_type);

  respond (self, 200, content_type, body, NULL);
}

/* A request in origin form is for us: our pages answer only when its Host
 * names us (gn_listener_context_is_own_authority()), so that a web page
 * whose name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read
 * them as its own origin: it gets 421. */
static void
handle_origin_form (GnProxyConnection *self)
{
  GnHttpHead *head = self->reader.head;
  GnOwnPage page = gn_own_page_find (head, head->target, head->target_len, FALSE);
  const GnHttpHeader *host;

  if (page == GN_OWN_PAGE_NONE)
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

/* ---- plain HTTP ---------------------------------------------------------- */

/* A request carrying our own Via token went through us already: a loop
 * (for instance through an address of ours we could not recognise). */
static gboolean
came_through_us (GnProxyConnection *self)
{
  const GnHttpHead *head = self->reader.head;

  for (guint i = 0; i < head->n_headers; i++)
    {
      const GnHttpHeader *h = &head->headers[i];

      if (h->name_len == 3 && g_ascii_strncasecmp (h->name, "Via", 3) == 0 &&
          g_strstr_len (h->value, h->value_len, self->context->via) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
on_forward_done (GnForwardExchange *exchange,
                 GnForwardResult   *result,
                 gpointer           user_data)
{
  GnProxyConnection *self = user_data;

  switch (result->outcome)
    {
    case GN_FORWARD_NEXT:
      g_clear_pointer (&self->pending, g_bytes_unref);
      self->pending = g_steal_pointer (&result->client_rest);
      next_request (self);
      break;
    case GN_FORWARD_CLOSE:
      finish (self, result->reason);
      break;
    case GN_FORWARD_FAIL:
      respond_error_page (self, result->status, result->reason);
      break;
    case GN_FORWARD_TUNNEL:
      start_tunnel (self, g_steal_pointer (&result->origin),
                    result->client_rest, result->origin_rest);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
handle_absolute_form (GnProxyConnection *self)
{
  GnHttpHead *head = self->reader.head;
  const char *authority = head->target + 7;
  const char *end = head->target + head->target_len;
  const char *path = authority;

  self->kind = GN_CONNECTION_KIND_HTTP;
  while (path < end && *path != '/' && *path != '?' && *path != '#')
    path++;
  if (memchr (authority, '@', path - authority) != NULL ||
      !gn_http_parse_authority (authority, path - authority, 80, self->host, &self->port))
    {
      respond_error_page (self, 400, _("The request URL does not name a valid host"));
      return;
    }
  if (!canonicalize_host (self))
    {
      respond_error_page (self, 400, "The request URL names an address one cannot connect to");
      return;
    }
  if (self->record != NULL)
    gn_connection_record_set_target (self->record, self->host, self->port, GN_CONNECTION_KIND_HTTP);

  if (check_blocked (self, TRUE))
    return;

  if (gn_listener_context_is_self (self->context, self->host, self->port) || came_through_us (self))
    {
      respond_own_page (self, gn_own_page_find (head, path, end - path, TRUE));
      return;
    }

  if (self->forward == NULL)
    self->forward = gn_forward_exchange_new (self->context, self->pool, self->socket_client,
                                             self->client, self->cancellable, self->record,
                                             on_forward_done, self);

  {
    /* The exchange reads the head during the call only; it may be done,
     * and the next head read, before the call returns. */
    g_autofree GnHttpHead *taken = g_steal_pointer (&self->reader.head);
    g_autofree char *buf = g_steal_pointer (&self->reader.buf);
    GBytes *rest = taken->head_len < self->reader.len
                   ? g_bytes_new (buf + taken->head_len, self->reader.len - taken->head_len) : NULL;

    self->reader.len = 0;
    gn_forward_exchange_send (self->forward, taken, self->host, self->port,
                              authority, path - authority, path, end - path, rest);
  }
}

/* ---- requests -------------------------------------------------------------- */

static void
on_request_head (GnHeadReader      *reader,
                 GnHttpParseResult  result,
                 gpointer           user_data)
{
  GnProxyConnection *self = user_data;
  GnHttpHead *head = reader->head;

  self->idle = FALSE;
  if (result == GN_HTTP_PARSE_ERROR)
    {
      if (head->error_status == 0)
        finish (self, head->error_reason);
      else if (head->error_status == 408 && self->n_requests > 0 && reader->len == 0)
        finish (self, NULL);  /* an idle keep-alive connection */
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
    handle_absolute_form (self);
  else if (head->target_len > 0 && head->target[0] == '/')
    handle_origin_form (self);
  else
    respond_text (self, 400, _("Unsupported request target"));
}

static void
next_request (GnProxyConnection *self)
{
  /* Draining ends keep-alive connections between requests; a new one
   * (maybe accepted just before the stop) still gets its first request
   * served, within the drain timeout. */
  if (gn_listener_context_is_draining (self->context) && self->pending == NULL && self->n_requests > 0)
    {
      finish (self, NULL);
      return;
    }
  self->idle = self->pending == NULL && self->n_requests > 0;
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_READING);
  gn_head_reader_start (&self->reader, self->client_socket, TRUE,
                        self->config->max_head_bytes, self->config->max_headers,
                        self->config->header_timeout_ms, g_steal_pointer (&self->pending),
                        self->cancellable, on_request_head, self);
}

/* ---- which program ------------------------------------------------------- */

static void
on_peer_named (const char *app,
               gpointer    data)
{
  GnProxyConnection *self = data;

  if (self->record != NULL)
    gn_connection_record_set_app (self->record, app);
}

static gpointer
ref_cb (gpointer data)
{
  return gn_proxy_connection_ref (data);
}

void
gn_proxy_connection_start (GnProxyConnection *self)
{
  g_socket_set_option (self->client_socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  if (self->config->peer_identifier != NULL && self->record != NULL)
    {
      g_autoptr(GSocketAddress) client = g_socket_get_remote_address (self->client_socket, NULL);
      g_autoptr(GSocketAddress) server = NULL;

      if (gn_domain_is_loopback_socket_address (client) &&
          (server = g_socket_get_local_address (self->client_socket, NULL)) != NULL)
        {
          gn_peer_wait_start (&self->peer_wait, self->config->peer_identifier, client, server,
                              self->cancellable, on_peer_named, on_answer_released, self,
                              ref_cb, unref_cb);
          gn_connection_record_start_app_lookup (self->record);
        }
    }
  next_request (self);
}
