/* gn-engine-config.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's settings as one immutable, reference-counted value. Build one
 * with gn_engine_config_new() (defaults) or gn_engine_config_copy(), change
 * fields while you are its only owner, then hand it to the engine; from then
 * on nobody writes to it. Work in flight keeps a reference to the config it
 * started with, so a new config never changes a running connection under it.
 */

#pragma once

#include <glib-object.h>

#include "gn-peer-identifier.h"

G_BEGIN_DECLS

typedef struct _GnEngineConfig
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char     *bind_address;          /* (owned) default "127.0.0.1" */
  guint16   port;                  /* default 3000; 0 picks a free port */
  gboolean  allow_non_loopback;    /* refuse other bind addresses unless TRUE */

  guint     connect_timeout_ms;    /* default 10 s  → 504 */
  guint     idle_timeout_s;        /* tunnel idle timeout, default 600 s */
  guint     header_timeout_ms;     /* request head read timeout, 10 s → 408 */
  guint     drain_timeout_ms;      /* restart/stop drain, default 5 s */
  guint     max_connections;       /* default 4096 → 503 past it */
  guint     max_head_bytes;        /* default 32 KiB → 431 */
  guint     max_headers;           /* default 100 → 431 */

  /* The proxy the user had before us (a company proxy): when set, the
   * engine's own outgoing connections go through it instead of direct. */
  char     *upstream_host;         /* (owned) (nullable) */
  guint16   upstream_port;
  /* Basic credentials for it (GNOME's "use authentication"), or NULL. */
  char     *upstream_user;         /* (owned) (nullable) */
  char     *upstream_password;     /* (owned) (nullable) */

  /* Hosts the PAC script at /proxy.pac sends DIRECT (the OS bypass list,
   * see gn_pac_script()); NULL: loopback only. */
  char    **pac_bypass;            /* (owned) (nullable) */

  /* Closed connections stay visible in the registry this long, default 60 s
   * (gn_connection_registry_set_linger()). */
  guint     linger_ms;

  /* Threads that run client connections (the engine thread keeps the
   * listener). 0, the default, means one per CPU, at most
   * GN_ENGINE_MAX_AUTO_WORKERS; 1 runs everything on the engine thread.
   * Read once, when the engine is created. */
  guint     n_workers;

  /* Serve Prometheus metrics at /metrics on our own address (loopback
   * clients only, same Host check as the status page); default FALSE. */
  gboolean  metrics;

  /* Names the program behind each connection from this machine
   * (gn-peer-identifier.h); NULL: none, the records carry no app name.
   * Normally set by gn_engine_set_peer_identifier(), not by hand. */
  GnPeerIdentifier *peer_identifier; /* (owned) (nullable) */
  /* How long a blocked answer waits for that name at most, default 100 ms:
   * a client closes as soon as it has the answer, and its program can only
   * be found while it is connected. */
  guint     peer_wait_ms;
} GnEngineConfig;

#define GN_ENGINE_MAX_AUTO_WORKERS 4
#define GN_ENGINE_MAX_WORKERS 64

#define GN_TYPE_ENGINE_CONFIG (gn_engine_config_get_type ())

GType           gn_engine_config_get_type (void) G_GNUC_CONST;
GnEngineConfig *gn_engine_config_new      (void);
GnEngineConfig *gn_engine_config_copy     (const GnEngineConfig *self);
GnEngineConfig *gn_engine_config_ref      (GnEngineConfig       *self);
void            gn_engine_config_unref    (GnEngineConfig       *self);
gboolean        gn_engine_config_validate (const GnEngineConfig *self,
                                           GError              **error);
/* "http://[user:password@]host:port" for the upstream (userinfo escaped;
 * GIO's HTTP proxy sends it as Basic credentials), or NULL without one. */
char           *gn_engine_config_dup_upstream_uri (const GnEngineConfig *self);
/* "Basic base64(user:password)", or NULL without credentials. */
char           *gn_engine_config_dup_upstream_authorization (const GnEngineConfig *self);
/* n_workers with 0 resolved to the number of CPUs (at most
 * GN_ENGINE_MAX_AUTO_WORKERS), always 1 to GN_ENGINE_MAX_WORKERS. */
guint           gn_engine_config_get_n_workers (const GnEngineConfig *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnEngineConfig, gn_engine_config_unref)

G_END_DECLS
