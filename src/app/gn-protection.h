/* gn-protection.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Protection switch as one GTK-free object (see gn-protection.c): the
 * engine running and the system proxy pointed at it, or neither, with a
 * status line and a next step for the user. The window and the headless
 * mode both drive it through GnSession.
 *
 * Threading: the engine's owner thread (the main thread) only.
 */

#pragma once

#include <gio/gio.h>

#include "gn-app-enums.h"
#include "gn-engine.h"
#include "gn-os-proxy-guard.h"

G_BEGIN_DECLS

typedef enum
{
  GN_PROTECTION_OFF,
  GN_PROTECTION_STARTING,
  GN_PROTECTION_ON,
  GN_PROTECTION_RESTARTING,
  GN_PROTECTION_ERROR,
} GnProtectionState;

/* Whether "on" blocks anything: the rules in force, as GnSession sees them. */
typedef enum
{
  GN_RULES_IN_FORCE,        /* rules are in force (the default when nobody says) */
  GN_RULES_LOADING,         /* none yet: the saved copies are being read */
  GN_RULES_DOWNLOADING,     /* none yet: lists are downloading */
  GN_RULES_NOT_DOWNLOADED,  /* none: the lists could not be downloaded */
  GN_RULES_ALL_OFF,         /* none: every list is off and the user has no rule */
} GnRulesState;

#define GN_TYPE_PROTECTION (gn_protection_get_type ())
G_DECLARE_FINAL_TYPE (GnProtection, gn_protection, GN, PROTECTION, GObject)

GnProtection      *gn_protection_new             (GnEngine       *engine,
                                                  GnOsProxyGuard *guard);
GnOsProxyGuard    *gn_protection_get_guard       (GnProtection  *self);
GnEngine          *gn_protection_get_engine      (GnProtection  *self);
void               gn_protection_set_enabled     (GnProtection  *self,
                                                  gboolean       enabled);
gboolean           gn_protection_get_enabled     (GnProtection  *self);
GnProtectionState  gn_protection_get_state       (GnProtection  *self);
const char        *gn_protection_get_status_text (GnProtection  *self);
const char        *gn_protection_get_hint        (GnProtection  *self);
const char        *gn_protection_get_last_result (GnProtection  *self);
void               gn_protection_restart         (GnProtection  *self);
/* When protection turns off: no proxy instead of the previous settings. */
void               gn_protection_set_restore_no_proxy (GnProtection *self,
                                                       gboolean      no_proxy);
void               gn_protection_report          (GnProtection  *self,
                                                  const char    *message);
void               gn_protection_set_base_config (GnProtection   *self,
                                                  GnEngineConfig *config);
GnEngineConfig    *gn_protection_dup_base_config (GnProtection   *self);
gboolean           gn_protection_shut_down       (GnProtection   *self);
void               gn_protection_shut_down_async (GnProtection        *self,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean           gn_protection_shut_down_finish (GnProtection  *self,
                                                   GAsyncResult  *result);
GError            *gn_protection_dup_error       (GnProtection   *self);
void               gn_protection_set_paused_until (GnProtection  *self,
                                                   gint64         until);
gint64             gn_protection_get_paused_until (GnProtection  *self);
/* @reason: (nullable): why, for GN_RULES_NOT_DOWNLOADED ("URLhaus: …"). */
void               gn_protection_set_rules       (GnProtection   *self,
                                                  guint64         n_rules,
                                                  GnRulesState    state,
                                                  const char     *reason);
guint64            gn_protection_get_n_rules     (GnProtection   *self);
GnRulesState       gn_protection_get_rules_state (GnProtection   *self);
/* "Rules in force: 123 blocking rules", or why there are none. */
char              *gn_protection_dup_rules_text  (GnProtection   *self);
/* On, and rules are in force. */
gboolean           gn_protection_get_blocking    (GnProtection   *self);

G_END_DECLS
