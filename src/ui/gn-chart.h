/* gn-chart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-traffic-stats.h"

G_BEGIN_DECLS

#define GN_TYPE_CHART (gn_chart_get_type ())
G_DECLARE_FINAL_TYPE (GnChart, gn_chart, GN, CHART, GtkWidget)

GtkWidget      *gn_chart_new       (void);
void            gn_chart_set_stats (GnChart        *self,
                                    GnTrafficStats *stats);
GnTrafficStats *gn_chart_get_stats (GnChart        *self);

G_END_DECLS
