/* gn-chart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-history-store.h"
#include "gn-traffic-stats.h"

G_BEGIN_DECLS

typedef enum
{
  GN_CHART_RANGE_HOUR,    /* per minute */
  GN_CHART_RANGE_DAY,     /* per 20 minutes */
  GN_CHART_RANGE_WEEK,    /* per 2 hours */
  GN_CHART_RANGE_MONTH,   /* per 12 hours */
  GN_CHART_N_RANGES
} GnChartRange;

#define GN_TYPE_CHART (gn_chart_get_type ())
G_DECLARE_FINAL_TYPE (GnChart, gn_chart, GN, CHART, GtkWidget)

GtkWidget      *gn_chart_new       (void);
void            gn_chart_set_stats (GnChart        *self,
                                    GnTrafficStats *stats);
GnTrafficStats *gn_chart_get_stats (GnChart        *self);
/* (nullable): the store the bars come from (see gn-chart.c). */
void            gn_chart_set_history (GnChart        *self,
                                      GnHistoryStore *history);
void            gn_chart_set_range (GnChart        *self,
                                    GnChartRange    range);
GnChartRange    gn_chart_get_range (GnChart        *self);
/* (nullable): the store's last answer for the range. */
GnHistory      *gn_chart_get_series (GnChart       *self);
/* What the bars show, oldest first (up to @n); returns how many bars. */
guint           gn_chart_get_bars  (GnChart        *self,
                                    guint64        *requests,
                                    guint64        *blocked,
                                    guint           n);

G_END_DECLS
