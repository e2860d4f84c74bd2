/* gn-column-menu.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void gn_column_menu_install (GtkColumnView *view,
                             GtkWidget     *owner,
                             const char    *prefix);
void gn_column_menu_bind    (GtkColumnView      *view,
                             GSettings          *settings,
                             const char         *key,
                             const char * const *ids);

G_END_DECLS
