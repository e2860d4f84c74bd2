/* gn-os-proxy-guard.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnOsProxyGuard turns OS proxy management on and off safely, on top of any
 * GnOsProxy backend. It is what the app and the headless mode use:
 *
 *  - enable: snapshot the user's settings → write the journal (atomically)
 *    → only then point the OS at us, and install the logon repair entry;
 *  - disable: compare-and-clear, key by key where the backend can (GNOME,
 *    KDE): every key that still holds the value we wrote gets the user's
 *    value back; every key another program changed meanwhile is kept, and
 *    the message names it. When another program changed the mode ("none",
 *    say), it took over: our values are removed, the user's are not put
 *    back over that choice but kept in a copy of the journal
 *    (gn_os_proxy_guard_restore_previous()). Other backends put the
 *    snapshot back in the places that still point at us. A snapshot whose
 *    manual proxy was on loopback with nothing listening any more becomes
 *    "no proxy" instead, and that is reported too; then delete the journal
 *    and the repair entry;
 *  - repair: at start and for `guardnest --repair-proxy`, a journal left by
 *    a crash with no proxy listening on its address is restored the same way;
 *  - "changed-by-other": while on, another program changed the settings
 *    away from us (the UI shows it).
 *
 * Threading: the thread that created it (normally the main thread); signals
 * are emitted there. Calls are synchronous and short (file and GSettings
 * writes, a loopback connect to see whether something listens).
 */

#pragma once

#include "gn-os-proxy.h"

G_BEGIN_DECLS

typedef enum
{
  GN_OS_PROXY_RESTORE_NOTHING       = 0,       /* no journal: nothing to do */
  GN_OS_PROXY_RESTORE_RESTORED      = 1 << 0,  /* the user's settings are back */
  GN_OS_PROXY_RESTORE_KEPT_OTHERS   = 1 << 1,  /* changed by another program: left alone */
  GN_OS_PROXY_RESTORE_NO_PROXY      = 1 << 2,  /* dead loopback proxy: "no proxy" set instead */
  GN_OS_PROXY_RESTORE_STILL_RUNNING = 1 << 3,  /* repair: something listens on our address */
  GN_OS_PROXY_RESTORE_TAKEN_OVER    = 1 << 4,  /* another program changed the mode: ours
                                                * removed, the user's settings not put back
                                                * but kept (gn_os_proxy_guard_has_previous()) */
} GnOsProxyRestoreFlags;

#define GN_TYPE_OS_PROXY_GUARD (gn_os_proxy_guard_get_type ())
G_DECLARE_FINAL_TYPE (GnOsProxyGuard, gn_os_proxy_guard, GN, OS_PROXY_GUARD, GObject)

/* journal_path NULL = gn_os_proxy_journal_default_path (). */
GnOsProxyGuard     *gn_os_proxy_guard_new          (GnOsProxy             *backend,
                                                    const char            *journal_path);
GnOsProxy          *gn_os_proxy_guard_get_backend  (GnOsProxyGuard        *self);
const char         *gn_os_proxy_guard_get_journal_path (GnOsProxyGuard    *self);
gboolean            gn_os_proxy_guard_get_active   (GnOsProxyGuard        *self);

/* The bypass list applied with ours; defaults to the backend's default. */
const char * const *gn_os_proxy_guard_get_bypass   (GnOsProxyGuard        *self);
/* Validates (GN_ERROR_INVALID_CONFIG with the bad item) and, when active,
 * applies it at once. NULL = back to the default. */
gboolean            gn_os_proxy_guard_set_bypass   (GnOsProxyGuard        *self,
                                                    const char * const    *bypass,
                                                    GError               **error);
gboolean            gn_os_proxy_validate_bypass    (const char * const    *bypass,
                                                    GError               **error);

/* PAC mode: the OS gets "automatic configuration" from the script the
 * engine serves (gn_os_proxy_pac_url()) instead of a manual proxy, so a
 * GuardNest that is gone lets programs go direct. Off by default; when
 * active, applied at once. */
gboolean            gn_os_proxy_guard_set_use_pac  (GnOsProxyGuard        *self,
                                                    gboolean               use_pac,
                                                    GError               **error);
gboolean            gn_os_proxy_guard_get_use_pac  (GnOsProxyGuard        *self);

/* Snapshot → journal → apply. Repairs a journal left by a crash first. When
 * already active, re-points the OS at the new address, same snapshot. */
gboolean            gn_os_proxy_guard_enable       (GnOsProxyGuard        *self,
                                                    const char            *host,
                                                    guint16                port,
                                                    GError               **error);
/* Compare-and-clear restore; `message` (nullable out) says what happened in
 * a sentence for the user. On error the journal is kept. */
gboolean            gn_os_proxy_guard_disable      (GnOsProxyGuard        *self,
                                                    GnOsProxyRestoreFlags *flags,
                                                    char                 **message,
                                                    GError               **error);
/* What --repair-proxy and every start do. */
gboolean            gn_os_proxy_guard_repair       (GnOsProxyGuard        *self,
                                                    GnOsProxyRestoreFlags *flags,
                                                    char                 **message,
                                                    GError               **error);

/* After a restore that another program's choice overrode
 * (GN_OS_PROXY_RESTORE_TAKEN_OVER), the user's settings from before
 * GuardNest are kept in "<journal path>.previous": whether there is such a
 * copy, and putting it back on the user's explicit request (whole places,
 * over whatever is set now), after which the copy is deleted. */
gboolean            gn_os_proxy_guard_has_previous (GnOsProxyGuard        *self);
gboolean            gn_os_proxy_guard_restore_previous (GnOsProxyGuard    *self,
                                                    char                 **message,
                                                    GError               **error);

GnOsProxySettings  *gn_os_proxy_guard_read_current (GnOsProxyGuard        *self,
                                                    GError               **error);
/* The user's own (company) proxy, for GnEngineConfig.upstream_*: the
 * snapshot's (when active) or the current settings' manual proxy, if it
 * is not loopback, or is loopback with something listening (a local
 * authenticating proxy such as cntlm), and is not our address; with the
 * user name and password the settings give for it (nullable outs, NULL
 * when there are none). */
gboolean            gn_os_proxy_guard_get_upstream (GnOsProxyGuard        *self,
                                                    const char            *our_host,
                                                    guint16                our_port,
                                                    char                 **host,
                                                    guint16               *port,
                                                    char                 **user,
                                                    char                 **password);

/* Ours plus the user's own bypass entries: what the system bypasses while
 * we protect (for the PAC script and the engine's upstream decision). */
GStrv               gn_os_proxy_guard_dup_effective_bypass (GnOsProxyGuard *self);

/* Helpers shared with tests and the backends. */
gboolean            gn_os_proxy_host_is_loopback   (const char            *host);
gboolean            gn_os_proxy_is_listening       (const char            *host,
                                                    guint16                port);

/* Signals:
 *   "changed-by-other" (const char *description): while active, the OS
 *   settings stopped pointing at us because another program changed them. */

G_END_DECLS
