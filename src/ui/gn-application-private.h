/* gn-application-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnApplication's fields, shared by gn-application.c (start-up, actions,
 * models) and gn-application-background.c (the "domain blocked"
 * notification, the tray, closing to the background).
 *
 * Threading: main thread only.
 */

#pragma once

#include "gn-application.h"
#include "gn-background.h"
#include "gn-tray.h"

G_BEGIN_DECLS

struct _GnApplication
{
  GtkApplication     parent_instance;

  GnEngineConfig    *config;        /* (owned) (nullable) given by the caller */
  GSettings         *settings;      /* (owned) */
  GSettings         *interface;     /* (owned) (nullable) org.gnome.desktop.interface */
  GnSession         *session;       /* (owned) engine, protection, lists, saved settings */
  GnEngine          *engine;        /* (unowned) the session's */
  GnProtection      *protection;    /* (unowned) the session's */
  GnBlocklistManager *blocklists;   /* (unowned) the session's */
  GnOsProxyGuard    *guard;         /* (unowned) the session's */
  GnConnectionModel *connections;   /* (owned) */
  GnBlockedModel    *blocked;       /* (owned) */
  GnTrafficStats    *stats;         /* (owned) */
  GnAppResolver     *apps;          /* (owned) which program made each connection */
  GnAppStats        *app_stats;     /* (owned) per-program totals (Overview: Top apps) */
  GnBlockNotifier   *notifier;      /* (owned) when to say a domain was blocked */
  GnTray            *tray;          /* (owned) (nullable) the tray icon, until shutdown */
  GtkWidget         *ask_dialog;    /* (unowned) (nullable) "Keep protecting…?" */
  gboolean           start_hidden;  /* --background */
  GCancellable      *cancellable;   /* (owned) */
  guint              subscription;
  gboolean           held;
  gboolean           quitting;
};

/* gn-application-background.c */
void _gn_application_init_notifications (GnApplication *self);
void _gn_application_withdraw_notifications (GnApplication *self);
void _gn_application_init_tray          (GnApplication *self);
void _gn_application_shut_down_tray     (GnApplication *self);

/* gn-application-history.c */
void _gn_application_init_history       (GnApplication *self);

G_END_DECLS
