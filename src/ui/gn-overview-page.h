/* gn-overview-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-blocked-model.h"
#include "gn-history-store.h"
#include "gn-protection.h"
#include "gn-top-apps.h"
#include "gn-traffic-stats.h"

G_BEGIN_DECLS

#define GN_TYPE_OVERVIEW_PAGE (gn_overview_page_get_type ())
G_DECLARE_FINAL_TYPE (GnOverviewPage, gn_overview_page, GN, OVERVIEW_PAGE, GtkWidget)

void gn_overview_page_set_stats   (GnOverviewPage *self,
                                   GnTrafficStats *stats);
void gn_overview_page_set_protection (GnOverviewPage *self,
                                      GnProtection   *protection);
const char *gn_overview_page_get_rules_text (GnOverviewPage *self);
/* The most blocked domains shown, most hits first. */
GListModel *gn_overview_page_get_top (GnOverviewPage *self);
GnTopApps  *gn_overview_page_get_top_apps (GnOverviewPage *self);
void gn_overview_page_set_blocked (GnOverviewPage *self,
                                   GnBlockedModel *blocked);
void gn_overview_page_set_sources (GnOverviewPage             *self,
                                   GListModel                 *sources,
                                   GtkListBoxCreateWidgetFunc  create_row,
                                   gpointer                    user_data);

void gn_overview_page_set_history (GnOverviewPage *self,
                                   GnHistoryStore *history);

G_END_DECLS
