/* gn-top-apps.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-app-stats.h"

G_BEGIN_DECLS

#define GN_TYPE_TOP_APPS (gn_top_apps_get_type ())
G_DECLARE_FINAL_TYPE (GnTopApps, gn_top_apps, GN, TOP_APPS, GtkWidget)

void        gn_top_apps_set_stats (GnTopApps  *self,
                                   GnAppStats *stats);
/* (element-type GnAppTotal): the rows shown, most connections first. */
GListModel *gn_top_apps_get_shown (GnTopApps  *self);

G_END_DECLS
