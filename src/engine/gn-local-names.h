/* gn-local-names.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names this machine itself maps to a local address — the hosts file's
 * entries for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7)
 * and link-local addresses ("192.168.1.10 nas", "127.0.0.1 dev.test").
 * With a company proxy as the way out, such names must go direct: the
 * company proxy would resolve them to something else, or not at all. It
 * reads the file (/etc/hosts; %SystemRoot%\System32\drivers\etc\hosts on
 * Windows; GN_HOSTS_FILE overrides it) at once and again when it changed,
 * checked at most every two seconds, so no lookup ever touches the disk
 * on the hot path more than that.
 *
 * Threading: any thread (one mutex per object).
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GnLocalNames GnLocalNames;

/* @path: (nullable): the hosts file, NULL for the system's. */
GnLocalNames *gn_local_names_new      (const char   *path);
GnLocalNames *gn_local_names_ref      (GnLocalNames *self);
void          gn_local_names_unref    (GnLocalNames *self);
/* @host: canonical (lower case, no trailing dot). */
gboolean      gn_local_names_is_local (GnLocalNames *self,
                                       const char   *host);
/* Whether @address is loopback, private or link-local (IPv4-mapped
 * addresses as their IPv4). */
gboolean      gn_inet_address_is_local (GInetAddress *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnLocalNames, gn_local_names_unref)

G_END_DECLS
