/* gn-forward.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnForwardExchange forwards plain-HTTP requests of one client connection
 * to their origins, one request at a time: it owns the request and
 * response state, the origin connection (kept for the next request to the
 * same host and port), the response head reader, the body pumps, and its
 * own sources. The client connection reads the request head, decides
 * (blocklist, self-loop), and hands the request over; the exchange answers
 * through one callback when it is done with it:
 *
 *   NEXT    the response went out and both sides keep the connection:
 *           read the next request (client_rest: bytes already read of it)
 *   CLOSE   the response went out (or the client or origin went away
 *           mid-way): close the connection (reason: for the record)
 *   FAIL    nothing was answered yet: answer @status with @reason
 *   TUNNEL  "101 Switching Protocols" went out: tunnel the client to
 *           @origin (handed over) with client_rest first to the origin
 *           and origin_rest first to the client
 *
 * The connection never calls into the exchange while a request is in
 * flight except to close it; the exchange never calls the connection.
 *
 * Threading: the client connection's worker thread only. Ref-counted:
 * the connection holds one reference, each pending asynchronous write
 * another; after gn_forward_exchange_close() nothing is reported.
 */

#pragma once

#include <gio/gio.h>

#include "gn-buffer-pool.h"
#include "gn-connection-registry.h"
#include "gn-http-parser.h"
#include "gn-listener-context.h"

G_BEGIN_DECLS

typedef struct _GnForwardExchange GnForwardExchange;

typedef enum
{
  GN_FORWARD_NEXT,
  GN_FORWARD_CLOSE,
  GN_FORWARD_FAIL,
  GN_FORWARD_TUNNEL,
} GnForwardOutcome;

typedef struct
{
  GnForwardOutcome   outcome;
  guint              status;      /* FAIL */
  const char        *reason;      /* FAIL, CLOSE (nullable) */
  GBytes            *client_rest; /* (transfer full) (nullable) NEXT, TUNNEL */
  GBytes            *origin_rest; /* (transfer full) (nullable) TUNNEL */
  GSocketConnection *origin;      /* (transfer full) TUNNEL */
} GnForwardResult;

/* The receiver owns the result's references (g_clear_pointer them). */
typedef void (*GnForwardDoneFunc) (GnForwardExchange *exchange,
                                   GnForwardResult   *result,
                                   gpointer           user_data);

/* @record (nullable) is the connection's registry entry, updated with
 * states, statuses and bytes; @cancellable cancels everything in flight. */
GnForwardExchange *gn_forward_exchange_new   (GnListenerContext  *context,
                                              GnBufferPool       *pool,
                                              GSocketClient      *socket_client,
                                              GSocketConnection  *client,
                                              GCancellable       *cancellable,
                                              GnConnectionRecord *record,
                                              GnForwardDoneFunc   func,
                                              gpointer            user_data);
GnForwardExchange *gn_forward_exchange_ref   (GnForwardExchange  *self);
void               gn_forward_exchange_unref (GnForwardExchange  *self);

/* Forwards the request of @head (an absolute-form request; read during the
 * call only) to @host:@port (canonical; through the upstream proxy when the
 * config has one), with @authority and @path its slices of the target.
 * @body_prefix (taken, nullable): client bytes already read past the head. */
void               gn_forward_exchange_send  (GnForwardExchange  *self,
                                              const GnHttpHead   *head,
                                              const char         *host,
                                              guint16             port,
                                              const char         *authority,
                                              gsize               authority_len,
                                              const char         *path,
                                              gsize               path_len,
                                              GBytes             *body_prefix);
/* Ends whatever is in flight and closes the origin connection; nothing is
 * reported afterwards. */
void               gn_forward_exchange_close (GnForwardExchange  *self);

G_END_DECLS
