/* gn-single-instance.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GuardNest window per user session. On Linux GApplication's own
 * uniqueness (a name on the D-Bus session bus) does it, and this object
 * only says so. On Windows that uniqueness needs a session bus, which GLib
 * starts through gdbus.exe; without it every start was a new instance
 * fighting the first over the port and the proxy settings. There the app
 * runs G_APPLICATION_NON_UNIQUE and this object does it instead: a named
 * mutex per session, and a hidden message-only window the later instance
 * asks to show the first one's window.
 *
 * Threading: create on the main thread; "activate" is emitted on the
 * creating thread's thread-default main context.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GN_TYPE_SINGLE_INSTANCE (gn_single_instance_get_type ())
G_DECLARE_FINAL_TYPE (GnSingleInstance, gn_single_instance, GN, SINGLE_INSTANCE, GObject)

/* The GApplicationFlags to add for this OS: G_APPLICATION_NON_UNIQUE where
 * this object does the uniqueness (Windows), else none. */
GApplicationFlags  gn_single_instance_app_flags  (void);
/* Claims @name (the application id) for this session. When another
 * instance holds it, that one is asked to show its window (unless @quiet:
 * a start at login has nothing to show) and is_primary() is FALSE. */
GnSingleInstance  *gn_single_instance_new        (const char       *name,
                                                  gboolean          quiet);
/* FALSE: another instance runs in this session; this one should exit. */
gboolean           gn_single_instance_is_primary (GnSingleInstance *self);

/* Signal "activate" (no arguments): a later instance asked this one to
 * show its window. */

G_END_DECLS
