/* gn-blocked-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKED_ROW (gn_blocked_row_get_type ())
G_DECLARE_FINAL_TYPE (GnBlockedRow, gn_blocked_row, GN, BLOCKED_ROW, GObject)

GnBlockedRow *gn_blocked_row_new         (const char             *domain);
void          gn_blocked_row_add_hit     (GnBlockedRow           *self,
                                          const GnConnectionInfo *info);
const char   *gn_blocked_row_get_domain  (GnBlockedRow           *self);
guint         gn_blocked_row_get_count   (GnBlockedRow           *self);
const char   *gn_blocked_row_get_list    (GnBlockedRow           *self);
const char   *gn_blocked_row_get_rule    (GnBlockedRow           *self);
const char   *gn_blocked_row_get_client  (GnBlockedRow           *self);
void          gn_blocked_row_add_app     (GnBlockedRow           *self,
                                          const char             *app);
const char   *gn_blocked_row_get_app     (GnBlockedRow           *self);
guint         gn_blocked_row_get_app_hits (GnBlockedRow          *self,
                                          const char             *app);
const char   *gn_blocked_row_get_search_text (GnBlockedRow       *self);
gboolean      gn_blocked_row_get_allowed (GnBlockedRow           *self);
void          gn_blocked_row_set_allowed (GnBlockedRow           *self,
                                          gboolean                allowed);
gint64        gn_blocked_row_get_allowed_until (GnBlockedRow     *self);
void          gn_blocked_row_set_allowed_until (GnBlockedRow     *self,
                                          gint64                  until);

G_END_DECLS
