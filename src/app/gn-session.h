/* gn-session.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnSession is the application without its front end: the one start-up
 * object that both the window (src/ui/gn-application.c) and the headless
 * mode (gn-headless.c) build on, so that they load the same settings,
 * decide the same upstream, repair the same crash leftovers and keep
 * their blocklists fresh the same way. GNOME Text Editor's EditorSession
 * is the model: state and policy apart from widgets, testable without a
 * display.
 *
 * Lifecycle:
 *   gn_session_new()            signals installed (a SIGTERM during start
 *                               up already stops gracefully)
 *   gn_session_load_settings()  settings.ini; problems become "message"
 *   gn_session_set_config()     optional: the command line's values
 *   gn_session_start_up()       engine, OS proxy guard (+ crash repair),
 *                               protection, blocklists (subscriptions with
 *                               their schedule, or local files)
 *   …                           the front end drives gn_session_get_protection()
 *   gn_session_shut_down()      system proxy restored, engine stopped
 *                               (bounded by its drain timeout)
 *
 * Where new features go: a desktop notification on block, the history of
 * statistics, timed rules and the tray's state belong here (or in a
 * GTK-free object this session owns), so the window and headless share
 * them; their widgets go in src/ui.
 *
 * Threading: the main thread (the engine's owner thread) only; signals are
 * emitted on its thread-default main context.
 */

#pragma once

#include <gio/gio.h>

#include "gn-app-enums.h"
#include "gn-blocklist-manager.h"
#include "gn-engine.h"
#include "gn-history-store.h"
#include "gn-os-proxy-guard.h"
#include "gn-protection.h"
#include "gn-settings-store.h"
#include "gn-timed-rules.h"

G_BEGIN_DECLS

typedef enum
{
  GN_SESSION_FLAGS_NONE          = 0,
  /* Point the OS proxy at us while protecting; repair crash leftovers. */
  GN_SESSION_SYSTEM_PROXY        = 1 << 0,
  /* Save whether protection is on, and turn it back on at start up. */
  GN_SESSION_REMEMBER_PROTECTION = 1 << 1,
  /* The command line allowed listening beyond this computer (headless
   * --allow-remote). Without it, gn_session_set_config() refuses a config
   * with allow_non_loopback, and the saved settings never allow it, so the
   * window always listens on loopback only. */
  GN_SESSION_ALLOW_REMOTE        = 1 << 2,
  /* Nobody shows which program made each connection (headless --quiet):
   * the engine does not look them up (no GnPeerLookup). */
  GN_SESSION_NO_APP_NAMES        = 1 << 3,
} GnSessionFlags;

#define GN_TYPE_SESSION (gn_session_get_type ())
G_DECLARE_FINAL_TYPE (GnSession, gn_session, GN, SESSION, GObject)

/* @settings_path: (nullable): settings.ini, NULL for the user's config dir. */
GnSession          *gn_session_new            (GnSessionFlags       flags,
                                               const char          *settings_path);
/* Reads the saved settings. A damaged file is reported ("message") and
 * kept aside as .bad; the session goes on with the defaults. */
void                gn_session_load_settings  (GnSession           *self);
/* The configuration the user chose (before the upstream policy). */
GnEngineConfig     *gn_session_dup_config     (GnSession           *self);
/* Validates @config and makes it the base configuration; with @save it is
 * also written to settings.ini (never allow_non_loopback: see
 * GN_SESSION_ALLOW_REMOTE). Takes effect at the next start or restart. */
gboolean            gn_session_set_config     (GnSession           *self,
                                               GnEngineConfig      *config,
                                               gboolean             save,
                                               GError             **error);
/* Creates the engine and everything around it. @local_blocklists:
 * (nullable): block the domains in these files instead of the user's
 * subscriptions and own rules; fails if one cannot be read. Without them,
 * the subscriptions load from their cache at once and refresh on their
 * schedule. */
gboolean            gn_session_start_up       (GnSession           *self,
                                               const char * const  *local_blocklists,
                                               GError             **error);
/* Local files read again, or the subscriptions downloaded again. */
void                gn_session_reload_lists   (GnSession           *self);
/* Restores the system proxy, then stops the engine (bounded). Returns
 * FALSE when the user's proxy settings could not be put back (said in a
 * "message"). */
gboolean            gn_session_shut_down      (GnSession           *self);
/* The same, with the drain running while the main loop does (the window's
 * Quit shows "Off — closing 3 connections…"); bounded by the drain timeout. */
void                gn_session_shut_down_async  (GnSession           *self,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean            gn_session_shut_down_finish (GnSession           *self,
                                                 GAsyncResult        *result);

GnSettingsStore    *gn_session_get_store      (GnSession           *self);
GnEngine           *gn_session_get_engine     (GnSession           *self);
GnProtection       *gn_session_get_protection (GnSession           *self);
/* (nullable): NULL with local blocklists. */
GnBlocklistManager *gn_session_get_blocklists (GnSession           *self);
/* Pauses and timed allows (a timed allow applies to the subscriptions and
 * own rules, not to local --blocklist files). */
GnTimedRules       *gn_session_get_timed_rules (GnSession          *self);
/* (nullable): NULL without GN_SESSION_SYSTEM_PROXY. */
GnOsProxyGuard     *gn_session_get_guard      (GnSession           *self);
/* (nullable): NULL before start up. The front ends feed it batches. */
GnHistoryStore     *gn_session_get_history    (GnSession           *self);
/* The retention, applied at once (older days are deleted) and saved. */
gboolean            gn_session_set_history_days (GnSession         *self,
                                                 guint              days,
                                                 GError           **error);

/* Signals:
 *   "message" (const char *text): start-up problems and repairs, for the
 *     user (the window's status line, the headless log).
 *   "shutdown" (const char *reason): SIGTERM/SIGINT, logind's shutdown,
 *     the end of the Windows session: the front end quits, then calls
 *     gn_session_shut_down().
 *   "reload": SIGHUP, only when a handler is connected (headless). */

G_END_DECLS
