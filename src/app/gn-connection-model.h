/* gn-connection-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"
#include "gn-connection-row.h"

G_BEGIN_DECLS

/* A batch adding or removing this many rows less than THROTTLE_MS after
 * the last update is held and applied with the next ones when it is due. */
#define GN_CONNECTION_MODEL_BURST_ROWS  64
#define GN_CONNECTION_MODEL_THROTTLE_MS 1000

#define GN_TYPE_CONNECTION_MODEL (gn_connection_model_get_type ())
G_DECLARE_FINAL_TYPE (GnConnectionModel, gn_connection_model, GN, CONNECTION_MODEL, GObject)

GnConnectionModel *gn_connection_model_new         (void);
GListModel        *gn_connection_model_get_rows    (GnConnectionModel       *self);
void               gn_connection_model_apply_batch (GnConnectionModel       *self,
                                                    const GnConnectionBatch *batch);
GnConnectionRow   *gn_connection_model_lookup      (GnConnectionModel       *self,
                                                    guint64                  id);
void               gn_connection_model_set_app     (GnConnectionModel       *self,
                                                    guint64                  id,
                                                    const char              *app);
void               gn_connection_model_set_paused  (GnConnectionModel       *self,
                                                    gboolean                 paused);
gboolean           gn_connection_model_get_paused  (GnConnectionModel       *self);
guint              gn_connection_model_get_n_open  (GnConnectionModel       *self);
void               gn_connection_model_tick        (GnConnectionModel       *self,
                                                    gint64                   now_us);

G_END_DECLS
