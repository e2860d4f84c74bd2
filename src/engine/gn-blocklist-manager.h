/* gn-blocklist-manager.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The subscriptions: a list of GnBlocklistSource (defaults ship with the
 * app), their cached copies, the refresh schedule, and the user's own
 * allowlist and blocklist. Whenever any of that changes it builds a new
 * GnBlocklist on a worker thread and emits "blocklist-changed" with it; the
 * owner hands it to the proxy (gn_engine_set_blocklist()), which swaps it in
 * atomically.
 *
 * Threading: create and use on one thread (usually the main thread);
 * signals, callbacks and the manager's timers (the refresh schedule, the
 * debounced settings save) run on the main context that was that thread's
 * default (g_main_context_get_thread_default()) when the manager was
 * created. Downloads are async on it, parsing and building run in GTask
 * workers.
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-blocklist-source.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKLIST_MANAGER (gn_blocklist_manager_get_type ())
G_DECLARE_FINAL_TYPE (GnBlocklistManager, gn_blocklist_manager, GN, BLOCKLIST_MANAGER, GObject)

#define GN_BLOCKLIST_DEFAULT_MAX_BYTES   (64 * 1024 * 1024)
#define GN_BLOCKLIST_DEFAULT_MAX_SHRINK  0.5
#define GN_BLOCKLIST_DEFAULT_TIMEOUT     30
#define GN_BLOCKLIST_DEFAULT_INTERVAL    24

/* NULL dirs mean g_get_user_config_dir()/guardnest and
 * g_get_user_cache_dir()/guardnest/lists. */
GnBlocklistManager *gn_blocklist_manager_new              (const char          *config_dir,
                                                           const char          *cache_dir);
/* Reads the saved sources and user lists (or the defaults on first run),
 * then builds the blocklist from the cached copies, before any network.
 * Returns FALSE if the saved file was unreadable: it is moved aside to
 * "blocklists.json.bad" and the defaults are used. */
gboolean            gn_blocklist_manager_load             (GnBlocklistManager  *self,
                                                           GError             **error);

GListModel         *gn_blocklist_manager_get_sources      (GnBlocklistManager  *self);
GnBlocklistSource  *gn_blocklist_manager_add_source       (GnBlocklistManager  *self,
                                                           const char          *name,
                                                           const char          *url,
                                                           GnBlocklistFormat    format);
/* The window's "Add": checks the URL, refuses one already subscribed
 * (GN_ERROR_INVALID_DATA, naming the list), and names the new list after
 * the URL's host until the list's own "Title:" header names it. */
GnBlocklistSource  *gn_blocklist_manager_subscribe        (GnBlocklistManager  *self,
                                                           const char          *url,
                                                           GnBlocklistFormat    format,
                                                           GError             **error);
GnBlocklistSource  *gn_blocklist_manager_find_url         (GnBlocklistManager  *self,
                                                           const char          *url);
/* The user's name for a list, kept over its Title; not empty. */
gboolean            gn_blocklist_manager_rename_source    (GnBlocklistManager  *self,
                                                           GnBlocklistSource   *source,
                                                           const char          *name,
                                                           GError             **error);
void                gn_blocklist_manager_remove_source    (GnBlocklistManager  *self,
                                                           GnBlocklistSource   *source);
const char         *gn_blocklist_manager_get_cache_dir    (GnBlocklistManager  *self);

/* The active list (transfer none); never NULL. */
GnBlocklist        *gn_blocklist_manager_get_blocklist    (GnBlocklistManager  *self);

/* Downloads @source, or every enabled source when NULL, then rebuilds. The
 * result is a summary for the UI: "2 lists updated, 1 kept its previous
 * version: URLhaus: HTTP 503 (Service Unavailable)". Per-source status is on
 * the source objects. */
void                gn_blocklist_manager_refresh_async    (GnBlocklistManager  *self,
                                                           GnBlocklistSource   *source,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
char               *gn_blocklist_manager_refresh_finish   (GnBlocklistManager  *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/* Settings changes are saved shortly after they happen, once per burst;
 * this writes a pending save now (dispose does too). */
void                gn_blocklist_manager_flush            (GnBlocklistManager  *self);

/* The user's own rules; @kind is GN_MATCH_ALLOW or GN_MATCH_BLOCK. Saved and
 * applied at once (rebuild + "blocklist-changed"). */
gboolean            gn_blocklist_manager_add_user_rule    (GnBlocklistManager  *self,
                                                           GnMatchKind          kind,
                                                           const char          *domain,
                                                           GError             **error);
gboolean            gn_blocklist_manager_remove_user_rule (GnBlocklistManager  *self,
                                                           GnMatchKind          kind,
                                                           const char          *domain);
/* NULL-terminated, owned by the manager. */
const char * const *gn_blocklist_manager_get_user_rules   (GnBlocklistManager  *self,
                                                           GnMatchKind          kind);

/* @domain as a user rule: trimmed, "*." dropped, normalised; NULL and an
 * error when it is not a domain name or address. */
char               *gn_blocklist_manager_normalize_rule       (const char         *domain,
                                                               GError            **error);
/* Allowed for a while: not saved here, built in as one more allow list. */
void                gn_blocklist_manager_set_temporary_allow  (GnBlocklistManager *self,
                                                               const char * const *domains);

/* Downloads go through this proxy ("http://[user:password@]host:port", see
 * gn_engine_config_dup_upstream_uri()) instead of direct; NULL = direct. */
void                gn_blocklist_manager_set_upstream         (GnBlocklistManager *self,
                                                               const char         *uri);
/* 0 (off), 1, 6, 12 or 24 hours. */
guint               gn_blocklist_manager_get_refresh_interval (GnBlocklistManager *self);
void                gn_blocklist_manager_set_refresh_interval (GnBlocklistManager *self,
                                                               guint               hours);

G_END_DECLS
