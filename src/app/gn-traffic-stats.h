/* gn-traffic-stats.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_TRAFFIC_STATS_MINUTES 60

#define GN_TYPE_TRAFFIC_STATS (gn_traffic_stats_get_type ())
G_DECLARE_FINAL_TYPE (GnTrafficStats, gn_traffic_stats, GN, TRAFFIC_STATS, GObject)

GnTrafficStats *gn_traffic_stats_new          (void);
void            gn_traffic_stats_apply_batch  (GnTrafficStats          *self,
                                               const GnConnectionBatch *batch,
                                               gint64                   now_us);
/* minutes_ago: 0 is the current minute, up to GN_TRAFFIC_STATS_MINUTES - 1. */
void            gn_traffic_stats_get_minute   (GnTrafficStats          *self,
                                               guint                    minutes_ago,
                                               gint64                   now_us,
                                               guint64                 *requests,
                                               guint64                 *blocked);
/* Today: the engine's count since midnight, plus @earlier (what earlier
 * runs counted, from the history) while the time is in [@from_us, @to_us)
 * (that local day). */
void            gn_traffic_stats_set_earlier  (GnTrafficStats          *self,
                                               const GnCounters        *earlier,
                                               gint64                   from_us,
                                               gint64                   to_us);
const GnCounters *gn_traffic_stats_get_today  (GnTrafficStats          *self);
guint           gn_traffic_stats_get_open_now (GnTrafficStats          *self);

G_END_DECLS
