/* gn-app-stats.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-app-total.h"
#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_TYPE_APP_STATS (gn_app_stats_get_type ())
G_DECLARE_FINAL_TYPE (GnAppStats, gn_app_stats, GN, APP_STATS, GObject)

GnAppStats *gn_app_stats_new         (void);
/* (element-type GnAppTotal): one per program, in order of appearance. */
GListModel *gn_app_stats_get_totals  (GnAppStats              *self);
GnAppTotal *gn_app_stats_lookup      (GnAppStats              *self,
                                      const char              *app);
void        gn_app_stats_apply_batch (GnAppStats              *self,
                                      const GnConnectionBatch *batch);
void        gn_app_stats_set_app     (GnAppStats              *self,
                                      guint64                  id,
                                      const char              *app);

/* Signal "rows-updated": totals changed in place (sorted views sort again). */

G_END_DECLS
