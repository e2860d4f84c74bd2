/* gn-proxy-connection-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection's state, shared between gn-proxy-connection.c (head
 * reading, answers, CONNECT) and gn-forward.c (plain-HTTP forwarding).
 * The server does not see it (it uses gn-proxy-connection.h only).
 *
 * Threading: the worker thread the connection was handed to, only.
 */

#pragma once

#include "gn-http-parser.h"
#include "gn-origin-connector.h"
#include "gn-proxy-connection.h"
#include "gn-pump.h"
#include "gn-tunnel.h"

G_BEGIN_DECLS

typedef void (*GnHeadReadFunc) (GnProxyConnection *self,
                                GnHttpParseResult  result);
typedef void (*GnWriteDoneFunc) (GnProxyConnection *self,
                                 const GError      *error);

struct _GnProxyConnection
{
  guint               ref_count;     /* the server's ref plus one per async call */
  GnListenerContext  *context;       /* (owned) the listener's, fixed */
  GnEngineConfig     *config;        /* (unowned) context->config */
  GnProxyConnectionDoneFunc done_func;
  gpointer            done_data;
  GnBufferPool       *pool;          /* (unowned) the worker's */
  GSocketClient      *socket_client; /* (unowned) the worker's */
  GnBlocklist        *blocklist;     /* (owned) the rules it started with */
  GnConnectionRecord *record;        /* (unowned) (nullable) registry entry */
  GList               link;          /* in the server's list (gn_proxy_connection_get_link()) */

  GSocketConnection  *client;        /* (owned) */
  GSocket            *client_socket; /* (unowned) */
  GCancellable       *cancellable;   /* (owned) cancels everything in flight */

  /* Reading a head (from the client or from the origin) */
  GnHttpParser        parser;
  GnHttpHead         *head;          /* (owned) (nullable) only while needed */
  char               *head_buf;      /* (owned) (nullable) */
  gsize               head_len;
  gsize               head_cap;
  gsize               head_limit;
  GSocket            *head_socket;   /* (unowned) the socket being read */
  gboolean            head_is_request;
  GSource            *read_source;   /* (owned) (nullable) */
  GSource            *timer;         /* (owned) (nullable) header/connect timer */
  GnHeadReadFunc      head_func;
  GBytes             *pending;       /* (owned) (nullable) client bytes past the last message */

  /* The target */
  char                host[GN_HTTP_HOST_MAX];
  guint16             port;
  GnConnectionKind    kind;
  guint               n_requests;
  gboolean            idle;          /* kept alive, waiting for its next request, nothing read */
  gboolean            closing;
  gboolean            rejected;      /* answering 503 past max_connections */

  /* CONNECT and WebSocket */
  GnTunnel           *tunnel;        /* (owned) (nullable) */
  GnOriginConnector   connector;     /* idle unless connecting */

  /* Plain-HTTP forwarding (gn-forward.c) */
  GSocketConnection  *origin;        /* (owned) (nullable) kept alive between requests */
  GSocket            *origin_socket; /* (unowned) */
  char                origin_host[GN_HTTP_HOST_MAX];
  guint16             origin_port;
  gboolean            origin_reused;
  gboolean            retried;
  GBytes             *origin_pending; /* (owned) (nullable) origin bytes past a 1xx head */
  guint               req_version_minor;
  gboolean            client_keep_alive;
  gboolean            origin_keep_alive;
  GnPump             *pump;          /* (owned) (nullable) body in flight */
  GString            *out;           /* (owned) (nullable) data being written */
  GString            *request_head;  /* (owned) (nullable) rewritten head, kept for a retry */
  GnWriteDoneFunc     write_func;
  gboolean            req_is_head;
  gboolean            req_keep_alive;
  gboolean            req_upgrade;
  GnHttpBodyKind      req_body_kind;
  guint64             req_content_length;
  GnHttpBodyKind      resp_body_kind;
  gboolean            resp_keep_alive;
  guint               resp_status;
};

/* gn-proxy-connection.c */
void     _gn_proxy_connection_clear_sources (GnProxyConnection *self);
void     _gn_proxy_connection_read_head   (GnProxyConnection *self,
                                           GSocket           *socket,
                                           gboolean           is_request,
                                           guint              timeout_ms,
                                           GnHeadReadFunc     func);
/* Bytes of head_buf after the parsed head (the start of a body). */
GBytes  *_gn_proxy_connection_take_rest   (GnProxyConnection *self);
void     _gn_proxy_connection_drop_head   (GnProxyConnection *self);
/* Writes a complete response of ours and closes the connection. */
void     _gn_proxy_connection_respond     (GnProxyConnection *self,
                                           guint              status,
                                           const char        *content_type,
                                           const char        *body,
                                           const char        *reason_for_log);
/* Answers a request aimed at the proxy itself: the PAC script for
 * GN_PAC_PATH, else the status page when @any_path or @path is "/".
 * Returns FALSE (nothing written) otherwise. */
gboolean _gn_proxy_connection_respond_own (GnProxyConnection *self,
                                           const char        *path,
                                           gsize              path_len,
                                           gboolean           any_path);
/* Writes @data to @stream, then calls @func with the outcome: at once if
 * the socket took it all, else when the asynchronous write ends. */
void     _gn_proxy_connection_write       (GnProxyConnection *self,
                                           GIOStream         *stream,
                                           GString           *data,
                                           GnWriteDoneFunc    func);
void     _gn_proxy_connection_finish      (GnProxyConnection *self,
                                           const char        *error_reason);
void     _gn_proxy_connection_next_request (GnProxyConnection *self);
gboolean _gn_proxy_connection_uses_upstream (GnProxyConnection *self);
void     _gn_proxy_connection_start_tunnel (GnProxyConnection *self,
                                           GSocket           *origin,
                                           GBytes            *to_origin,
                                           GBytes            *to_client);
gboolean _gn_proxy_connection_check_blocked (GnProxyConnection *self,
                                           gboolean           html);
gboolean _gn_proxy_connection_canonicalize_host (GnProxyConnection *self);

/* gn-forward.c */
void     _gn_forward_request              (GnProxyConnection *self);
void     _gn_forward_clear                (GnProxyConnection *self);

G_END_DECLS
