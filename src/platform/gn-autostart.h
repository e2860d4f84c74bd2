/* gn-autostart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Start at login": GuardNest runs `guardnest --background` (protecting,
 * window hidden) when the user logs in. Linux: an XDG autostart entry
 * ($XDG_CONFIG_HOME/autostart/io.github.guardnest.GuardNest.desktop,
 * written by gn-os-proxy-autostart-xdg.c); Windows: a value under
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Run (gn-autostart-windows.c).
 *
 * Threading: plain functions, any thread (one writer at a time).
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean gn_autostart_get_enabled (void);
gboolean gn_autostart_set_enabled (gboolean   enabled,
                                   GError   **error);

G_END_DECLS
