/* gn-os-proxy-headless.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `guardnest --headless --system-proxy`: the OS proxy part of the headless
 * mode, kept here so gn-headless.c needs only three calls:
 *
 *   prepare  — before the engine starts: repair a journal left by a crash,
 *              and put the user's own (company) proxy into the engine config
 *              as its upstream, so protection does not cut them off;
 *   enable   — once the engine listens: snapshot → journal → apply, and quit
 *              `loop` on SIGTERM/SIGINT/SIGHUP or logind's PrepareForShutdown;
 *   finish   — after the loop, *before* stopping the engine: restore
 *              (compare-and-clear) and release the shutdown inhibitor.
 *
 * Messages for the user go to stderr prefixed "guardnest: ".
 *
 * Threading: main thread.
 */

#pragma once

#include "gn-engine-config.h"
#include "gn-os-proxy-guard.h"

G_BEGIN_DECLS

typedef struct _GnOsProxyHeadless GnOsProxyHeadless;

/* Never fails: a desktop that cannot be managed is reported and the
 * returned object does nothing. config may get upstream_host/port, and
 * gets the bypass list for its PAC script. use_pac: point the OS at the
 * engine's PAC script instead of a manual proxy (--pac). */
GnOsProxyHeadless *gn_os_proxy_headless_prepare (GnEngineConfig     *config,
                                                 gboolean            use_pac);
gboolean           gn_os_proxy_headless_enable  (GnOsProxyHeadless  *self,
                                                 const char         *host,
                                                 guint16             port,
                                                 GMainLoop          *loop,
                                                 GError            **error);
/* Restores and frees. Returns FALSE when the restore failed (reported). */
gboolean           gn_os_proxy_headless_finish  (GnOsProxyHeadless  *self);

G_END_DECLS
