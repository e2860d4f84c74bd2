/* gn-quit-window-windows.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The hidden top-level window every running GuardNest keeps on Windows, so
 * that another program can find it and ask it to quit gracefully (see
 * gn-quit-window-windows.c). Private to the Windows platform files.
 *
 * Threading: start and stop from one thread; the callback runs on the
 * window's own thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The window class, found with FindWindow(GN_QUIT_WINDOW_CLASS, NULL). The
 * installer (build-aux/msys2/guardnest.nsi, INSTANCE_CLASS) spells it too. */
#define GN_QUIT_WINDOW_CLASS L"GuardNest.Instance"

typedef struct _GnQuitWindow GnQuitWindow;

/* Called on the window's thread for every WM_CLOSE: hand off and return. */
typedef void (*GnQuitWindowFunc) (gpointer user_data);

/* NULL (with a message logged) when the window could not be made. */
GnQuitWindow *gn_quit_window_start (GnQuitWindowFunc func,
                                    gpointer         user_data);
/* Destroys the window and joins its thread; no callback runs after it. */
void          gn_quit_window_stop  (GnQuitWindow    *window);

G_END_DECLS
