/* gn-listener-context.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a client connection needs to know about the listener that accepted
 * it, in one small ref-counted object handed to every connection instead
 * of a pointer back to the server: the config it started with, the
 * effective connection limit, the registry, the address and port it is
 * bound to (for the self-loop checks and our own pages), and the token we
 * put in Via headers. The server creates one per start, once the port is
 * known; everything in it is fixed from then on except three atomic
 * counters and flags the server sets (listening, draining, n_connections),
 * which connections only read.
 *
 * So the dependencies point one way: the server knows connections,
 * connections know this context, and the context knows neither.
 *
 * Threading: immutable after gn_listener_context_new(); reading the fields
 * and calling the functions below is safe from any thread; the atomics are
 * written by the server's engine thread (n_connections also by workers).
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"
#include "gn-domain.h"
#include "gn-engine-config.h"
#include "gn-local-names.h"

G_BEGIN_DECLS

typedef struct _GnListenerContext GnListenerContext;

struct _GnListenerContext
{
  /*< private >*/
  gatomicrefcount       ref_count;

  /*< public, read-only >*/
  GnEngineConfig       *config;          /* (owned) */
  GnConnectionRegistry *registry;        /* (owned) (nullable) */
  GInetAddress         *bind_address;    /* (owned) canonical (IPv4-mapped as IPv4) */
  gboolean              bind_any;        /* bound to 0.0.0.0 or :: */
  guint16               port;
  guint                 max_connections; /* config's, or lower for the fd budget */
  char                  via[24];         /* "guardnest-XXXXXXXX", for loop detection */
  GnLocalNames         *local_names;     /* (owned) the hosts file's local names */

  /*< public, atomic, written by the server >*/
  gint                  listening;
  gint                  draining;
  gint                  n_connections;   /* counted against max_connections */
};

GnListenerContext *gn_listener_context_new    (GnEngineConfig       *config,
                                               GnConnectionRegistry *registry,
                                               GInetAddress         *bind_address,
                                               guint16               port,
                                               guint                 max_connections);
GnListenerContext *gn_listener_context_ref    (GnListenerContext    *self);
void               gn_listener_context_unref  (GnListenerContext    *self);

static inline gboolean
gn_listener_context_is_draining (GnListenerContext *self)
{
  return g_atomic_int_get (&self->draining);
}

/* Whether host:port (a canonical address or a name, before connecting)
 * names this proxy itself: our port and "localhost", our bind address, or
 * loopback when bound to every address. */
gboolean           gn_listener_context_is_self (GnListenerContext  *self,
                                                const char         *host,
                                                guint16             port);
/* Whether a connected socket reached this proxy itself: its peer's port is
 * ours and its peer's address (canonical form) is our bind address or,
 * bound to every address, any address of this machine (loopback, or the
 * socket's own local address: connecting to one of our interfaces makes
 * the kernel pick that very address as the source). @peer (nullable): the
 * peer's address when the caller knows it (it dialled it), else asked of
 * @socket. Costs nothing more than a compare unless the port is ours. */
gboolean           gn_listener_context_is_self_peer (GnListenerContext *self,
                                                     GSocket           *socket,
                                                     GSocketAddress    *peer);
/* Whether the Host header value @host names this listener (for our own
 * pages: the status page and /proxy.pac): our port with localhost, a
 * loopback address (127.0.0.1, [::1]) or the bind address; bound to every
 * address, also the local address @client (nullable) reached us on. A
 * defence against DNS rebinding: a page whose name resolves to 127.0.0.1
 * still sends its own name. */
gboolean           gn_listener_context_is_own_authority (GnListenerContext *self,
                                                         const char        *host,
                                                         gsize              host_len,
                                                         GSocket           *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnListenerContext, gn_listener_context_unref)

G_END_DECLS
