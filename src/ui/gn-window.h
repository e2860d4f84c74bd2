/* gn-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-application.h"

G_BEGIN_DECLS

#define GN_TYPE_WINDOW (gn_window_get_type ())
G_DECLARE_FINAL_TYPE (GnWindow, gn_window, GN, WINDOW, GtkApplicationWindow)

GnWindow  *gn_window_new            (GnApplication *application);
void       gn_window_show_page      (GnWindow      *self,
                                     const char    *name);
GtkWidget *gn_window_get_page       (GnWindow      *self,
                                     const char    *name);
const char *gn_window_get_status_text (GnWindow    *self);

G_END_DECLS
