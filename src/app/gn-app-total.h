/* gn-app-total.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define GN_TYPE_APP_TOTAL (gn_app_total_get_type ())
G_DECLARE_FINAL_TYPE (GnAppTotal, gn_app_total, GN, APP_TOTAL, GObject)

GnAppTotal *gn_app_total_new             (const char *app);
const char *gn_app_total_get_app         (GnAppTotal *self);
guint       gn_app_total_get_connections (GnAppTotal *self);
guint       gn_app_total_get_blocked     (GnAppTotal *self);
void        gn_app_total_add             (GnAppTotal *self,
                                          guint       connections,
                                          guint       blocked);

G_END_DECLS
