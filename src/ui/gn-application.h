/* gn-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-app-resolver.h"
#include "gn-block-notifier.h"
#include "gn-app-stats.h"
#include "gn-blocked-model.h"
#include "gn-blocklist-manager.h"
#include "gn-connection-model.h"
#include "gn-engine.h"
#include "gn-protection.h"
#include "gn-session.h"
#include "gn-settings-store.h"
#include "gn-traffic-stats.h"
#include "gn-tray.h"

G_BEGIN_DECLS

#define GN_TYPE_APPLICATION (gn_application_get_type ())
G_DECLARE_FINAL_TYPE (GnApplication, gn_application, GN, APPLICATION, GtkApplication)

GnApplication     *gn_application_new             (GnEngineConfig *config);
GSettings         *gn_application_get_settings    (GnApplication  *self);
GnEngine          *gn_application_get_engine      (GnApplication  *self);
GnProtection      *gn_application_get_protection  (GnApplication  *self);
GnConnectionModel *gn_application_get_connections (GnApplication  *self);
GnBlockedModel    *gn_application_get_blocked     (GnApplication  *self);
GnBlockNotifier   *gn_application_get_block_notifier (GnApplication *self);
GnTray            *gn_application_get_tray       (GnApplication  *self);
gboolean           gn_application_get_has_tray   (GnApplication  *self);
gboolean           gn_application_close_window   (GnApplication  *self,
                                                  GtkWindow      *window);
GnTrafficStats    *gn_application_get_stats       (GnApplication  *self);
GnAppStats        *gn_application_get_app_stats   (GnApplication  *self);
GnBlocklistManager *gn_application_get_blocklists (GnApplication  *self);
GnSettingsStore   *gn_application_get_store       (GnApplication  *self);
GnSession         *gn_application_get_session     (GnApplication  *self);
gboolean           gn_application_set_port        (GnApplication  *self,
                                                   guint16         port,
                                                   GError        **error);
gboolean           gn_application_allow_domain    (GnApplication  *self,
                                                   const char     *domain,
                                                   GError        **error);
gboolean           gn_application_allow_domain_for (GnApplication *self,
                                                    const char    *domain,
                                                    guint          minutes,
                                                    GError       **error);

G_END_DECLS
