/* gn-blocklist-manager-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager's state, shared by its three files: gn-blocklist-manager.c
 * (sources, user rules, rebuilds, GObject), -store.c (JSON settings, the
 * debounced save and the default sources) and -refresh.c (downloads and the
 * schedule).
 * Threading: the owner thread only (the one that created the manager); its
 * timers are attached to that thread's default main context at
 * construction.
 */

#pragma once

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "gn-blocklist-manager.h"

G_BEGIN_DECLS

/* List names the user sees (block page, blocked log): translate at use */
#define USER_ALLOW_NAME  N_("Your allowlist")
#define USER_BLOCK_NAME  N_("Your blocklist")
#define TEMPORARY_ALLOW_NAME N_("Allowed for a while")

struct _GnBlocklistManager
{
  GObject       parent_instance;

  char         *config_path;      /* (owned) */
  char         *cache_dir;        /* (owned) */
  GListStore   *sources;          /* (owned) of GnBlocklistSource */
  GPtrArray    *user_rules[2];    /* (owned) NULL-terminated char*; [0] allow, [1] block */
  char        **temporary_allow;  /* (owned) (nullable) allowed for a while, never saved here */
  GnBlocklist  *blocklist;        /* (owned) the active list */
  SoupSession  *session;          /* (owned) (nullable) created on first download */
  char         *upstream_uri;     /* (owned) (nullable) the way out; NULL: direct */
  GCancellable *cancellable;      /* (owned) cancelled in dispose */
  GMainContext *context;          /* (owned) the owner thread's default context */
  GSource      *schedule_source;  /* (owned) (nullable) the one-minute check, on context */
  GSource      *save_source;      /* (owned) (nullable) a save is pending, on context */
  guint         n_writes;         /* settings files written so far (tests) */
  guint         n_compiled_loads; /* builds served from the compiled file, unparsed (tests) */
  guint         n_compiled_saves; /* compiled files written (tests) */
  guint         n_part_parses;    /* sources parsed (their part written) by builds (tests) */
  guint         n_part_merges;    /* sources taken from their part, unparsed (tests) */
  gboolean      built_once;       /* only the first build tries the compiled file */

  guint         refresh_hours;
  guint64       max_bytes;
  double        max_shrink;
  guint         timeout_seconds;
  gboolean      download_missing; /* fetch never-downloaded lists at load */

  gboolean      rebuilding;
  gboolean      rebuild_pending;
  GPtrArray    *waiters;          /* (owned) GTask waiting for the running build */
  GPtrArray    *pending_waiters;  /* (owned) GTask waiting for the next build */
  gboolean      loading;          /* suppress saves while reading the config */
};


/* Marks the settings dirty: one save follows shortly on the manager's
 * context, however many changes come before it. */
void      _gn_blocklist_manager_emit_changed    (GnBlocklistManager  *self);
void      _gn_blocklist_manager_queue_save      (GnBlocklistManager  *self);
/* Writes the settings file now (atomically) and cancels a pending save. */
void      _gn_blocklist_manager_write           (GnBlocklistManager  *self);
guint     _gn_blocklist_manager_get_n_writes    (GnBlocklistManager  *self);
gboolean  _gn_blocklist_manager_read_config     (GnBlocklistManager  *self,
                                                 GError             **error);
void      _gn_blocklist_manager_add_defaults    (GnBlocklistManager  *self);
void      _gn_blocklist_manager_append_source   (GnBlocklistManager  *self,
                                                 GnBlocklistSource   *source);
void      _gn_blocklist_manager_request_rebuild (GnBlocklistManager  *self,
                                                 GTask               *waiter);
char     *_gn_blocklist_manager_cache_path      (GnBlocklistManager  *self,
                                                 GnBlocklistSource   *source);
/* <cache dir>/<id>.gnpart, see gn-blocklist-part.h */
char     *_gn_blocklist_manager_part_path       (GnBlocklistManager  *self,
                                                 GnBlocklistSource   *source);
/* <cache dir>/compiled.gnbl, see gn-blocklist-file.h */
char     *_gn_blocklist_manager_compiled_path   (GnBlocklistManager  *self);
gboolean  _gn_blocklist_manager_check_schedule  (gpointer             user_data);

G_END_DECLS
