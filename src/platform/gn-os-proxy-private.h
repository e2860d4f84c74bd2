/* gn-os-proxy-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Constructors of the backends, for the per-OS selection function
 * (gn_os_proxy_new_for_desktop() lives in gn-os-proxy-select-linux.c or in
 * the Windows implementation) and for tests. Which of these exist depends on
 * what src/platform/meson.build compiled for the host system.
 */

#pragma once

#include "gn-os-proxy.h"

G_BEGIN_DECLS

/* Linux / other Unix. */
GnOsProxy *_gn_os_proxy_gnome_new (GError **error);
/* config_dir: where kioslaverc lives (NULL = g_get_user_config_dir ()). */
GnOsProxy *_gn_os_proxy_kde_new   (const char *config_dir,
                                   GError    **error);

/* Windows (src/platform/gn-os-proxy-windows.c). */
GnOsProxy *_gn_os_proxy_windows_new (void);

G_END_DECLS

G_BEGIN_DECLS

/* The GNOME backend's one entry, under another connection name: the KDE
 * backend keeps the GNOME keys as its "gsettings" entry. */
GnOsProxyEntry *_gn_os_proxy_gnome_read_entry  (GnOsProxy            *gnome,
                                                const char           *connection);
gboolean        _gn_os_proxy_gnome_write_entry (GnOsProxy            *gnome,
                                                const GnOsProxyEntry *entry,
                                                GError              **error);
gboolean        _gn_os_proxy_gnome_restore_entry (GnOsProxy            *gnome,
                                                  const GnOsProxyEntry *snapshot,
                                                  const GnOsProxyEntry *ours,
                                                  GnOsProxyKeysResult  *result,
                                                  GStrv                *kept,
                                                  GError              **error);

G_END_DECLS

G_BEGIN_DECLS

/* The per-key compare-and-clear rule, shared by the backends that restore
 * key by key (gn-os-proxy-settings.c). For each of @n_keys keys: @ours is
 * the value we wrote (never NULL), @current the value now and @snapshot the
 * user's value before us (either NULL when the key is absent). Fills
 * @actions and adds the kept keys whose value is neither ours nor the
 * user's to @kept. @mode_key names the key that selects the mode: changed
 * by another program to anything but the user's own mode, it means that
 * program took over, and keys still holding our values are cleared rather
 * than given the user's values back. */
typedef enum
{
  GN_OS_PROXY_KEY_LEAVE,    /* changed by another program: keep */
  GN_OS_PROXY_KEY_RESTORE,  /* still ours: put the user's value back */
  GN_OS_PROXY_KEY_CLEAR,    /* still ours after a takeover: remove ours */
} GnOsProxyKeyAction;

GnOsProxyKeysResult _gn_os_proxy_plan_keys (const char * const *names,
                                            GVariant * const   *ours,
                                            GVariant * const   *current,
                                            GVariant * const   *snapshot,
                                            guint               n_keys,
                                            const char         *mode_key,
                                            GnOsProxyKeyAction *actions,
                                            GPtrArray          *kept);

/* The XDG autostart repair entry (gn-os-proxy-autostart-xdg.c), shared by
 * the Linux backends: $XDG_CONFIG_HOME/autostart/<app id>-repair.desktop. */
char     *_gn_os_proxy_xdg_repair_entry_path (void);
gboolean  _gn_os_proxy_xdg_install_repair    (GnOsProxy  *self,
                                              GError    **error);
gboolean  _gn_os_proxy_xdg_remove_repair     (GnOsProxy  *self,
                                              GError    **error);

G_END_DECLS
