/* gn-tray.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tray icon: one interface, one file per OS (gn-tray-sni.c: a
 * StatusNotifierItem with a com.canonical.dbusmenu menu over GDBus, shown
 * when a org.kde.StatusNotifierWatcher is on the session bus;
 * gn-tray-windows.c: Shell_NotifyIconW on a hidden window). It shows what
 * it is given — a title, one line of state, whether it needs attention —
 * and a fixed menu (the state, Pause for 15 minutes, Open, Quit); what to
 * show and what the items do is decided above it (src/app, src/ui).
 *
 * Threading: the thread that created it (its thread-default main
 * context); signals are emitted there.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  GN_TRAY_ITEM_PAUSE,   /* "Pause protection for 15 minutes" */
  GN_TRAY_ITEM_OPEN,    /* "Open GuardNest" (also a click on the icon) */
  GN_TRAY_ITEM_QUIT,    /* "Quit" */
  GN_TRAY_ITEM_MESSAGE, /* the message of gn_tray_show_message() was clicked */
} GnTrayItem;

#define GN_TYPE_TRAY (gn_tray_get_type ())
G_DECLARE_FINAL_TYPE (GnTray, gn_tray, GN, TRAY, GObject)

/* @icon_name: a themed icon name (Linux) — the app id. Starts looking for
 * a tray host at once; "notify::available" says when one takes the icon. */
GnTray     *gn_tray_new           (const char *icon_name);
/* Whether a tray shows the icon now (a StatusNotifierWatcher took it). */
gboolean    gn_tray_get_available (GnTray     *self);
/* @title: "GuardNest"; @state: "Protecting — 12 blocked today", the
 * tooltip and the menu's first (insensitive) line; @attention: protection
 * is off or failed. */
void        gn_tray_set_state     (GnTray     *self,
                                   const char *title,
                                   const char *state,
                                   gboolean    attention);
/* Pause's label follows: sensitive only while protecting. */
void        gn_tray_set_can_pause (GnTray     *self,
                                   gboolean    can_pause);

/* Where the desktop has no notification service of its own for us
 * (Windows: GLib's GNotification backend there is a stub), shows @title and
 * @body as the tray icon's message (a balloon, or a toast on Windows 10
 * and later) and returns TRUE; FALSE when the caller should use
 * GNotification (Linux). */
gboolean    gn_tray_show_message  (GnTray     *self,
                                   const char *title,
                                   const char *body);

/* Signal "item" (GnTrayItem item): a menu item or the icon was used. */

G_END_DECLS
