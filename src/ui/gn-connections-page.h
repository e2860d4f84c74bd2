/* gn-connections-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-connection-model.h"

G_BEGIN_DECLS

#define GN_TYPE_CONNECTIONS_PAGE (gn_connections_page_get_type ())
G_DECLARE_FINAL_TYPE (GnConnectionsPage, gn_connections_page, GN, CONNECTIONS_PAGE, GtkWidget)

void             gn_connections_page_set_model    (GnConnectionsPage *self,
                                                   GnConnectionModel *model);
void             gn_connections_page_bind_settings (GnConnectionsPage *self,
                                                    GSettings         *settings);
GnConnectionRow *gn_connections_page_get_selected (GnConnectionsPage *self);
GListModel      *gn_connections_page_get_shown    (GnConnectionsPage *self);
void             gn_connections_page_focus_search (GnConnectionsPage *self);

G_END_DECLS
