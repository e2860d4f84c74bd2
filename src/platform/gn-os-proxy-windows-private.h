/* gn-os-proxy-windows-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows backend of GnOsProxy (gn-os-proxy-windows.c) as its own
 * files see it: the instance struct and the helpers its per-key restore
 * (gn-os-proxy-windows-restore.c) shares with it.
 *
 * Threading: see gn-os-proxy-windows.c; `lock` guards the fields marked so.
 */

#pragma once

#include "gn-os-proxy.h"
#include "gn-winproxy.h"

G_BEGIN_DECLS

#define GN_TYPE_OS_PROXY_WINDOWS (gn_os_proxy_windows_get_type ())
G_DECLARE_FINAL_TYPE (GnOsProxyWindows, gn_os_proxy_windows, GN, OS_PROXY_WINDOWS, GnOsProxy)

struct _GnOsProxyWindows
{
  GnOsProxy          parent_instance;
  GMutex             lock;
  GMainContext      *context;        /* (owned) where "changed" is emitted */
  GnWpWatch         *watch;          /* (owned) (nullable) */
  GnWpSessionWindow *session;        /* (owned) (nullable) while ours is applied */
  HANDLE             owner;          /* (owned) (nullable) GN_WP_OWNER_MUTEX, ditto */
  gboolean           applied;        /* ours is applied (guarded by lock) */
  gboolean           ended_session;  /* on_end_session() restored ours (guarded by lock) */
  GnOsProxySettings *last_ours;      /* (owned) (nullable) what write() applied last (lock) */
  gint               changed_pending;  /* atomic */
  wchar_t            journal[MAX_PATH + 64];
  wchar_t            repair_command[2 * MAX_PATH];
};

wchar_t  *_gn_os_proxy_windows_to_wide          (const char *utf8);
char     *_gn_os_proxy_windows_to_utf8          (const wchar_t *wide);
void      _gn_os_proxy_windows_set_error_from_core (GError **error, const GnWpError *werr);
void      _gn_os_proxy_windows_log_from_core    (const wchar_t *message, void *user_data);
/* Fills `c` (and `values` for the LAN) from an entry's raw; FALSE if the
 * raw is not one of ours. The strings are g_malloc'd until
 * _gn_os_proxy_windows_connection_to_core_heap(). */
gboolean  _gn_os_proxy_windows_connection_from_raw (const GnOsProxyEntry *e, GnWpConnection *c,
                                                    GnWpRegistryValues *values,
                                                    gboolean *has_values, GError **error);
void      _gn_os_proxy_windows_connection_to_core_heap (GnWpConnection *c);
void      _gn_os_proxy_windows_move_to_core     (wchar_t **field);
/* The flags and strings (g_free'd) write() hands gn_wp_set_connection(). */
DWORD     _gn_os_proxy_windows_portable_to_core (const GnOsProxyEntry *e, wchar_t **server,
                                                 wchar_t **bypass, wchar_t **pac);
/* The port of our proxy in an entry of ours, 0 when it is not ours. */
guint16   _gn_os_proxy_windows_ours_port        (const GnOsProxyEntry *e);
/* Stops @stale and starts the session window if asked; outside `lock`. */
void      _gn_os_proxy_windows_session_windows_update (GnOsProxyWindows *self,
                                                       gboolean start_window,
                                                       GnWpSessionWindow *stale);
gboolean  _gn_os_proxy_windows_restore_entry    (GnOsProxy            *proxy,
                                                 const GnOsProxyEntry *snapshot,
                                                 const GnOsProxyEntry *ours,
                                                 GnOsProxyKeysResult  *result,
                                                 GStrv                *kept,
                                                 GError              **error);

G_END_DECLS
