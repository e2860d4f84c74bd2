/* gn-pac.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy auto-configuration script the engine serves at /proxy.pac
 * (PAC mode: the OS points at that URL instead of at a manual proxy, so a
 * GuardNest that is not running never leaves programs without a way out).
 *
 * Threading: pure functions, any thread.
 */

#pragma once

#include <glib.h>

#include "gn-names.h"

G_BEGIN_DECLS

#define GN_PAC_CONTENT_TYPE "application/x-ns-proxy-autoconfig"

/* FindProxyForURL() answering "PROXY host:port; DIRECT", except "DIRECT"
 * for the hosts in @bypass (the OS bypass list: names, "*.suffix"
 * wildcards, IPv4 networks "10.0.0.0/8", "<local>" for plain host names).
 * Items it cannot express are skipped; NULL bypasses loopback only. */
/* Whether the script would send @host (canonical, as in a URL) DIRECT. */
gboolean gn_pac_bypass_matches (const char * const *bypass,
                                const char         *host);

char *gn_pac_script (const char         *host,
                     guint16             port,
                     const char * const *bypass);

G_END_DECLS
