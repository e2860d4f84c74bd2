/* gn-origin-connector.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnOriginConnector connects to one origin (a host name or an IP literal
 * and a port), directly or through the user's upstream proxy, within the
 * connect timeout, and refuses a socket that reached this proxy itself.
 * It reports exactly once, through one callback: the connected
 * GSocketConnection (TCP_NODELAY set, ready to use), or a GError in
 * GN_ORIGIN_ERROR whose code is the HTTP status to answer (502 could not
 * find or reach, 504 timed out, 508 the peer reached is this proxy) and
 * whose message says what happened, for the user.
 *
 * It is a plain struct, embedded in its owner (a client connection or a
 * forwarding exchange), so a connection setup costs no allocation of its
 * own. Nothing is called after gn_origin_connector_cancel(), and the owner
 * may free the struct from inside the callback.
 *
 * Threading: one thread, the owner's (a worker's thread-default context).
 */

#pragma once

#include <gio/gio.h>

#include "gn-listener-context.h"
#include "gn-http-parser.h"

G_BEGIN_DECLS

#define GN_ORIGIN_ERROR (gn_origin_error_quark ())
GQuark gn_origin_error_quark (void);

/* @origin: (transfer full) (nullable); @error: (nullable) its code the
 * HTTP status to answer. */
typedef void (*GnOriginConnectedFunc) (GSocketConnection *origin,
                                       const GError      *error,
                                       gpointer           user_data);

typedef struct _GnOriginPending GnOriginPending;

typedef struct
{
  /*< private >*/
  GnListenerContext    *context;     /* (unowned) the owner keeps it */
  char                  host[GN_HTTP_HOST_MAX];
  guint16               port;
  gboolean              timed_out;
  GSocket              *socket;      /* (owned) (nullable) direct connect in progress */
  GSocketAddress       *address;     /* (owned) (nullable) its target */
  GSource              *source;      /* (owned) (nullable) waiting for it */
  GSource              *timer;       /* (owned) (nullable) the connect timeout */
  GnOriginPending      *pending;     /* (nullable) a GSocketClient connect in flight */
  GnOriginConnectedFunc func;
  gpointer              user_data;
} GnOriginConnector;

/* Whether a connection to @host goes through the upstream proxy of
 * @config: every host but loopback ones, unless the upstream is on this
 * machine too. */
gboolean gn_origin_connector_uses_upstream (GnListenerContext    *context,
                                            const char           *host);

/* Starts connecting to @host:@port (@host canonical, see
 * gn_domain_canonical_address()); @tunnel asks the upstream proxy, if
 * any, for a CONNECT, else the socket goes to the upstream itself (for a
 * request in absolute form). @socket_client is the worker's. @func may
 * run before this returns. @self must be idle (zeroed or finished). */
void     gn_origin_connector_start (GnOriginConnector     *self,
                                    GnListenerContext     *context,
                                    GSocketClient         *socket_client,
                                    const char            *host,
                                    guint16                port,
                                    gboolean               tunnel,
                                    GnOriginConnectedFunc  func,
                                    gpointer               user_data);
/* Gives up; nothing is reported. Safe on an idle connector. */
void     gn_origin_connector_cancel (GnOriginConnector    *self);

G_END_DECLS
