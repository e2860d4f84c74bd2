/* gn-blocked-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocked-row.h"
#include "gn-connection-registry.h"
#include "gn-timed-rules.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKED_MODEL (gn_blocked_model_get_type ())
G_DECLARE_FINAL_TYPE (GnBlockedModel, gn_blocked_model, GN, BLOCKED_MODEL, GObject)

GnBlockedModel *gn_blocked_model_new         (void);
GListModel     *gn_blocked_model_get_rows    (GnBlockedModel          *self);
void            gn_blocked_model_apply_batch (GnBlockedModel          *self,
                                              const GnConnectionBatch *batch);
GnBlockedRow   *gn_blocked_model_lookup      (GnBlockedModel          *self,
                                              const char              *domain);
void            gn_blocked_model_set_app     (GnBlockedModel          *self,
                                              guint64                  id,
                                              const char              *app);
guint           gn_blocked_model_get_n_hits  (GnBlockedModel          *self);
void            gn_blocked_model_clear       (GnBlockedModel          *self);
void            gn_blocked_model_set_allowed (GnBlockedModel          *self,
                                              const char              *domain,
                                              gboolean                 allowed);
void            gn_blocked_model_set_timed_rules (GnBlockedModel      *self,
                                              GnTimedRules            *timed);

G_END_DECLS
