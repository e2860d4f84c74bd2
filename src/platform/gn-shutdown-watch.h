/* gn-shutdown-watch.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tells the owner that the process is about to end, so the OS proxy can be
 * restored in time: SIGTERM, SIGINT and SIGHUP, and logind's
 * PrepareForShutdown, held off with a "delay" inhibitor over GDBus until the
 * owner has restored (gn_shutdown_watch_release_inhibitor, or automatically
 * right after the "shutdown" handlers return). Without a system bus or
 * logind it logs once and carries on with the signals alone.
 *
 * Threading: create on the main thread; "shutdown" is emitted on the
 * thread-default main context of the creating thread.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GN_TYPE_SHUTDOWN_WATCH (gn_shutdown_watch_get_type ())
G_DECLARE_FINAL_TYPE (GnShutdownWatch, gn_shutdown_watch, GN, SHUTDOWN_WATCH, GObject)

/* Signal "shutdown" (const char *reason): "SIGTERM", "SIGINT", "SIGHUP" or
 * "system shutdown"; on Windows "Ctrl+C", "Ctrl+Break", "console closed",
 * "log-off", "system shutdown" or "asked to quit" (WM_CLOSE to the quit
 * window, gn-quit-window-windows.c). */
GnShutdownWatch *gn_shutdown_watch_new               (void);
/* TRUE once logind's delay inhibitor is held. */
gboolean         gn_shutdown_watch_has_inhibitor     (GnShutdownWatch *self);
void             gn_shutdown_watch_release_inhibitor (GnShutdownWatch *self);

G_END_DECLS
