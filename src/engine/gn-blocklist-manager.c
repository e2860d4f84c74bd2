/* gn-blocklist-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Owns the subscriptions and turns them into the GnBlocklist the proxy uses.
 *
 * - Sources live in a GListStore the UI binds to; their settings, status
 *   and the user's own rules are saved as JSON (json-glib) in the config
 *   dir, written atomically (temporary file + rename), one debounced save
 *   per burst of changes (gn-blocklist-manager-store.c).
 * - Each source's last good copy is a file in the cache dir. At load the
 *   blocklist is built from those files before any download happens.
 * - Downloads (gn-updater.c) replace a cached file only when the new copy
 *   is sound; a failure keeps the previous list and is recorded on the
 *   source as last-error.
 * - Every change (download, enable/disable, user rule) requests a rebuild
 *   (gn-blocklist-manager-build.c): a GTask worker builds a complete new GnBlocklist; requests arriving
 *   meanwhile coalesce into one more build. The result replaces the active
 *   list here and is emitted with "blocklist-changed".
 * - After each build the worker saves the set as a compiled file
 *   (COMPILED_FILE in the cache dir, gn-blocklist-file.c) and maps it back,
 *   so the active set lives in clean, shared page-cache pages rather than
 *   on the heap, and a reload's old and new sets do not both sit in RSS.
 *   The first build after load maps that file without parsing anything
 *   when it was built from the same inputs (the cached files' ids, names,
 *   formats, sizes, times and inodes, the user's rules and this version of
 *   GuardNest); otherwise it says why and builds the set as below.
 * - A build parses only the lists whose compiled part ("<id>.gnpart",
 *   gn-blocklist-part.c, written when the list was last parsed) is missing,
 *   stale or damaged, and merges the others from their parts; a removed
 *   source's part goes with its cached copy.
 * - A one-minute timer refreshes the sources whose last attempt is older
 *   than the interval (off / 1 / 6 / 12 / 24 h). A list that has never
 *   been downloaded (the defaults on first start, or after every attempt
 *   failed) is downloaded right after load instead, so protection does
 *   not run without rules for the first minute ("download-missing").
 *
 * Threading: the owner thread only; see gn-blocklist-manager.h. The
 * schedule and save timers are attached to the thread-default main context
 * of the thread that created the manager (referenced in init), never to the
 * global default context, so a manager on another thread keeps its timers
 * there.
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-file.h"
#include "gn-blocklist-manager-private.h"
#include "gn-domain.h"
#include "gn-error.h"

#define CONFIG_FILE "blocklists.json"
#define COMPILED_FILE "compiled.gnbl"

G_DEFINE_FINAL_TYPE (GnBlocklistManager, gn_blocklist_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_REFRESH_INTERVAL,
  PROP_MAX_LIST_BYTES,
  PROP_MAX_SHRINK,
  PROP_TIMEOUT,
  PROP_DOWNLOAD_MISSING,
  N_PROPS
};

enum {
  BLOCKLIST_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


static GPtrArray *
rules_for (GnBlocklistManager *self,
           GnMatchKind         kind)
{
  return self->user_rules[kind == GN_MATCH_ALLOW ? 0 : 1];
}

char *
_gn_blocklist_manager_cache_path (GnBlocklistManager *self,
                                  GnBlocklistSource  *source)
{
  g_autofree char *file = g_strdup_printf ("%s.txt", gn_blocklist_source_get_id (source));

  return g_build_filename (self->cache_dir, file, NULL);
}

char *
_gn_blocklist_manager_part_path (GnBlocklistManager *self,
                                 GnBlocklistSource  *source)
{
  g_autofree char *file = g_strdup_printf ("%s.gnpart", gn_blocklist_source_get_id (source));

  return g_build_filename (self->cache_dir, file, NULL);
}

char *
_gn_blocklist_manager_compiled_path (GnBlocklistManager *self)
{
  return g_build_filename (self->cache_dir, COMPILED_FILE, NULL);
}

void
_gn_blocklist_manager_emit_changed (GnBlocklistManager *self)
{
  g_signal_emit (self, signals[BLOCKLIST_CHANGED], 0, self->blocklist);
}

static void
on_source_notify (GnBlocklistSource *source,
                  GParamSpec        *pspec,
                  gpointer           user_data)
{
  GnBlocklistManager *self = user_data;
  const char *name = pspec->name;

  if (g_str_equal (name, "bytes-received") || g_str_equal (name, "updating"))
    return;

  /* cheap: marks the settings dirty, one save follows */
  _gn_blocklist_manager_queue_save (self);
  if (g_str_equal (name, "enabled") || g_str_equal (name, "format") || g_str_equal (name, "name"))
    _gn_blocklist_manager_request_rebuild (self, NULL);
}

void
_gn_blocklist_manager_append_source (GnBlocklistManager *self,
                                     GnBlocklistSource  *source)
{
  g_signal_connect_object (source, "notify", G_CALLBACK (on_source_notify), self, 0);
  g_list_store_append (self->sources, source);
}

/* Public API ------------------------------------------------------------- */

gboolean
gn_blocklist_manager_load (GnBlocklistManager  *self,
                           GError             **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), FALSE);

  self->loading = TRUE;
  if (g_file_test (self->config_path, G_FILE_TEST_EXISTS))
    {
      ok = _gn_blocklist_manager_read_config (self, error);
      if (!ok)
        {
          g_autofree char *bad = g_strconcat (self->config_path, ".bad", NULL);

          g_rename (self->config_path, bad);
          g_list_store_remove_all (self->sources);
          _gn_blocklist_manager_add_defaults (self);
        }
    }
  else
    _gn_blocklist_manager_add_defaults (self);
  self->loading = FALSE;

  _gn_blocklist_manager_queue_save (self);
  _gn_blocklist_manager_request_rebuild (self, NULL);

  /* Lists never downloaded have no cached copy: fetch them now rather
   * than at the first schedule check. */
  if (self->download_missing)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);

          if (gn_blocklist_source_get_enabled (s) && !gn_blocklist_source_get_updating (s) &&
              gn_blocklist_source_get_last_success (s) == 0)
            gn_blocklist_manager_refresh_async (self, s, NULL, NULL, NULL);
        }
    }

  /* the first check runs a minute after start, after the cached lists; on
   * the owner's context (the source is destroyed in dispose) */
  if (self->schedule_source == NULL)
    {
      self->schedule_source = g_timeout_source_new_seconds (60);
      g_source_set_static_name (self->schedule_source, "[guardnest] blocklist schedule");
      g_source_set_callback (self->schedule_source, _gn_blocklist_manager_check_schedule,
                             self, NULL);
      g_source_attach (self->schedule_source, self->context);
    }

  return ok;
}

GListModel *
gn_blocklist_manager_get_sources (GnBlocklistManager *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);

  return G_LIST_MODEL (self->sources);
}

const char *
gn_blocklist_manager_get_cache_dir (GnBlocklistManager *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);

  return self->cache_dir;
}

GnBlocklistSource *
gn_blocklist_manager_add_source (GnBlocklistManager *self,
                                 const char         *name,
                                 const char         *url,
                                 GnBlocklistFormat   format)
{
  g_autoptr(GnBlocklistSource) s = NULL;
  g_autofree char *id = g_uuid_string_random ();

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL && url != NULL, NULL);

  s = gn_blocklist_source_new (id, name, url, format);
  _gn_blocklist_manager_append_source (self, s);
  _gn_blocklist_manager_queue_save (self);
  return s;  /* the store holds it */
}

static char *
normalize_url (const char *url)
{
  g_autofree char *stripped = g_strstrip (g_strdup (url));
  g_autoptr(GUri) uri = NULL;

  /* The default port is implied, "http://h" is "http://h/"; scheme and
   * host case are left to the caller's case-insensitive compare. */
  uri = g_uri_parse (stripped, G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  return uri != NULL ? g_uri_to_string (uri) : g_steal_pointer (&stripped);
}

/* The source already subscribed to @url, if any. */
GnBlocklistSource *
gn_blocklist_manager_find_url (GnBlocklistManager *self,
                               const char         *url)
{
  g_autofree char *want = NULL;
  guint n;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  want = normalize_url (url);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);
      g_autofree char *have = normalize_url (gn_blocklist_source_get_url (s));

      if (g_ascii_strcasecmp (have, want) == 0)
        return s;  /* the store keeps it */
    }
  return NULL;
}

/* What the window's "Add" does: a new list named after the URL's host
 * until its own "Title:" header names it; a URL already subscribed is
 * refused, naming the list that has it. */
GnBlocklistSource *
gn_blocklist_manager_subscribe (GnBlocklistManager  *self,
                                const char          *url,
                                GnBlocklistFormat    format,
                                GError             **error)
{
  g_autoptr(GUri) uri = NULL;
  GnBlocklistSource *existing;
  GnBlocklistSource *s;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("“%s” is not a web address: a list URL starts with https:// or http://"), url);
      return NULL;
    }
  existing = gn_blocklist_manager_find_url (self, url);
  if (existing != NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("This list is already in your lists, as “%s”"),
                   gn_blocklist_source_get_name (existing));
      return NULL;
    }

  s = gn_blocklist_manager_add_source (self, g_uri_get_host (uri), url, format);
  gn_blocklist_source_set_auto_name (s, TRUE);
  return s;
}

/* The user's own name for a list: kept whatever its Title says. */
gboolean
gn_blocklist_manager_rename_source (GnBlocklistManager  *self,
                                    GnBlocklistSource   *source,
                                    const char          *name,
                                    GError             **error)
{
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), FALSE);
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (source), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  stripped = g_strstrip (g_strdup (name));
  if (*stripped == '\0')
    {
      g_set_error_literal (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                           _("A list needs a name; the previous one is kept"));
      return FALSE;
    }
  gn_blocklist_source_set_auto_name (source, FALSE);
  gn_blocklist_source_set_name (source, stripped);  /* saved and rebuilt (on_source_notify) */
  return TRUE;
}

void
gn_blocklist_manager_remove_source (GnBlocklistManager *self,
                                    GnBlocklistSource  *source)
{
  g_autofree char *path = NULL;
  g_autofree char *part_path = NULL;
  guint pos;

  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (source));

  if (!g_list_store_find (self->sources, source, &pos))
    return;
  path = _gn_blocklist_manager_cache_path (self, source);
  part_path = _gn_blocklist_manager_part_path (self, source);
  g_signal_handlers_disconnect_by_data (source, self);
  g_list_store_remove (self->sources, pos);
  g_unlink (path);
  g_unlink (part_path);
  _gn_blocklist_manager_queue_save (self);
  _gn_blocklist_manager_request_rebuild (self, NULL);
}

GnBlocklist *
gn_blocklist_manager_get_blocklist (GnBlocklistManager *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);

  return self->blocklist;
}

static gboolean
normalize_user_rule (const char  *domain,
                     char        *out,
                     GError     **error)
{
  gsize len;
  g_autofree char *trimmed = g_strstrip (g_strdup (domain));
  GnNameKind kind;

  if (g_str_has_prefix (trimmed, "*."))
    memmove (trimmed, trimmed + 2, strlen (trimmed) - 1);
  kind = gn_domain_normalize (trimmed, strlen (trimmed), out, &len);
  if (kind != GN_NAME_DOMAIN && kind != GN_NAME_IP)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("“%s” is not a domain name such as example.com"), domain);
      return FALSE;
    }
  return TRUE;
}

static gint
find_rule (GPtrArray  *rules,
           const char *rule)
{
  for (guint i = 0; i + 1 < rules->len; i++)
    if (g_str_equal (g_ptr_array_index (rules, i), rule))
      return i;
  return -1;
}

gboolean
gn_blocklist_manager_add_user_rule (GnBlocklistManager  *self,
                                    GnMatchKind          kind,
                                    const char          *domain,
                                    GError             **error)
{
  char name[GN_DOMAIN_MAX + 1];
  GPtrArray *rules;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), FALSE);
  g_return_val_if_fail (kind == GN_MATCH_ALLOW || kind == GN_MATCH_BLOCK, FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  if (!normalize_user_rule (domain, name, error))
    return FALSE;

  rules = rules_for (self, kind);
  if (find_rule (rules, name) >= 0)
    return TRUE;
  g_ptr_array_insert (rules, rules->len - 1, g_strdup (name));
  _gn_blocklist_manager_queue_save (self);
  _gn_blocklist_manager_request_rebuild (self, NULL);
  return TRUE;
}

gboolean
gn_blocklist_manager_remove_user_rule (GnBlocklistManager *self,
                                       GnMatchKind         kind,
                                       const char         *domain)
{
  char name[GN_DOMAIN_MAX + 1];
  GPtrArray *rules;
  gint i;

  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), FALSE);
  g_return_val_if_fail (kind == GN_MATCH_ALLOW || kind == GN_MATCH_BLOCK, FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  rules = rules_for (self, kind);
  if (!normalize_user_rule (domain, name, NULL) || (i = find_rule (rules, name)) < 0)
    return FALSE;
  g_ptr_array_remove_index (rules, i);
  _gn_blocklist_manager_queue_save (self);
  _gn_blocklist_manager_request_rebuild (self, NULL);
  return TRUE;
}

const char * const *
gn_blocklist_manager_get_user_rules (GnBlocklistManager *self,
                                     GnMatchKind         kind)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);

  return (const char * const *) rules_for (self, kind)->pdata;
}

guint
gn_blocklist_manager_get_refresh_interval (GnBlocklistManager *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), 0);

  return self->refresh_hours;
}

void
gn_blocklist_manager_set_refresh_interval (GnBlocklistManager *self,
                                           guint               hours)
{
  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));
  g_return_if_fail (hours == 0 || hours == 1 || hours == 6 || hours == 12 || hours == 24);

  if (self->refresh_hours == hours)
    return;
  self->refresh_hours = hours;
  _gn_blocklist_manager_queue_save (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFRESH_INTERVAL]);
}

/* Downloads go through the user's own (company) proxy when there is one,
 * the same way out as the engine's traffic: going direct may not work at
 * all there. @host NULL (or @port 0) means direct. Takes effect from the
 * next download; downloads under way finish on the session they started
 * with. */
void
gn_blocklist_manager_set_upstream (GnBlocklistManager *self,
                                   const char         *uri)
{
  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));

  if (uri != NULL && *uri == '\0')
    uri = NULL;
  if (g_strcmp0 (uri, self->upstream_uri) == 0)
    return;
  g_free (self->upstream_uri);
  self->upstream_uri = g_strdup (uri);
  g_clear_object (&self->session);
}

/* GObject ---------------------------------------------------------------- */

static void
gn_blocklist_manager_dispose (GObject *object)
{
  GnBlocklistManager *self = GN_BLOCKLIST_MANAGER (object);

  g_cancellable_cancel (self->cancellable);
  if (self->schedule_source != NULL)
    {
      g_source_destroy (self->schedule_source);
      g_clear_pointer (&self->schedule_source, g_source_unref);
    }
  /* nothing is lost: a pending save is written now */
  gn_blocklist_manager_flush (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (gn_blocklist_manager_parent_class)->dispose (object);
}

static void
gn_blocklist_manager_finalize (GObject *object)
{
  GnBlocklistManager *self = GN_BLOCKLIST_MANAGER (object);

  g_clear_pointer (&self->config_path, g_free);
  g_clear_pointer (&self->cache_dir, g_free);
  g_clear_pointer (&self->upstream_uri, g_free);
  g_clear_object (&self->sources);
  g_clear_pointer (&self->user_rules[0], g_ptr_array_unref);
  g_clear_pointer (&self->user_rules[1], g_ptr_array_unref);
  g_clear_pointer (&self->temporary_allow, g_strfreev);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->pending_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (gn_blocklist_manager_parent_class)->finalize (object);
}

static void
gn_blocklist_manager_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  GnBlocklistManager *self = GN_BLOCKLIST_MANAGER (object);

  switch (prop_id)
    {
    case PROP_REFRESH_INTERVAL:
      g_value_set_uint (value, self->refresh_hours);
      break;
    case PROP_MAX_LIST_BYTES:
      g_value_set_uint64 (value, self->max_bytes);
      break;
    case PROP_MAX_SHRINK:
      g_value_set_double (value, self->max_shrink);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_seconds);
      break;
    case PROP_DOWNLOAD_MISSING:
      g_value_set_boolean (value, self->download_missing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocklist_manager_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  GnBlocklistManager *self = GN_BLOCKLIST_MANAGER (object);

  switch (prop_id)
    {
    case PROP_REFRESH_INTERVAL:
      gn_blocklist_manager_set_refresh_interval (self, g_value_get_uint (value));
      break;
    case PROP_MAX_LIST_BYTES:
      if (self->max_bytes != g_value_get_uint64 (value))
        {
          self->max_bytes = g_value_get_uint64 (value);
          _gn_blocklist_manager_queue_save (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_SHRINK:
      if (self->max_shrink != g_value_get_double (value))
        {
          self->max_shrink = g_value_get_double (value);
          _gn_blocklist_manager_queue_save (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TIMEOUT:
      if (self->timeout_seconds != g_value_get_uint (value))
        {
          self->timeout_seconds = g_value_get_uint (value);
          if (self->session != NULL)
            soup_session_set_timeout (self->session, self->timeout_seconds);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_DOWNLOAD_MISSING:
      if (self->download_missing != g_value_get_boolean (value))
        {
          self->download_missing = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocklist_manager_class_init (GnBlocklistManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = gn_blocklist_manager_dispose;
  object_class->finalize = gn_blocklist_manager_finalize;
  object_class->get_property = gn_blocklist_manager_get_property;
  object_class->set_property = gn_blocklist_manager_set_property;

  properties[PROP_REFRESH_INTERVAL] =
    g_param_spec_uint ("refresh-interval", NULL, NULL, 0, 24, GN_BLOCKLIST_DEFAULT_INTERVAL, rw);
  properties[PROP_MAX_LIST_BYTES] =
    g_param_spec_uint64 ("max-list-bytes", NULL, NULL, 1, G_MAXUINT32,
                         GN_BLOCKLIST_DEFAULT_MAX_BYTES, rw);
  properties[PROP_MAX_SHRINK] =
    g_param_spec_double ("max-shrink", NULL, NULL, 0.0, 1.0, GN_BLOCKLIST_DEFAULT_MAX_SHRINK, rw);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, 600, GN_BLOCKLIST_DEFAULT_TIMEOUT, rw);
  /* Download never-downloaded lists at load (tests that must not reach
   * the real default lists turn it off). */
  properties[PROP_DOWNLOAD_MISSING] =
    g_param_spec_boolean ("download-missing", NULL, NULL, TRUE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GnBlocklistManager::blocklist-changed:
   * @blocklist: the new active list
   *
   * A new list set is ready; hand it to gn_engine_set_blocklist().
   */
  signals[BLOCKLIST_CHANGED] =
    g_signal_new ("blocklist-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  GN_TYPE_BLOCKLIST | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
gn_blocklist_manager_init (GnBlocklistManager *self)
{
  self->sources = g_list_store_new (GN_TYPE_BLOCKLIST_SOURCE);
  for (guint k = 0; k < 2; k++)
    {
      self->user_rules[k] = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->user_rules[k], NULL);
    }
  self->blocklist = gn_blocklist_new_empty ();
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->refresh_hours = GN_BLOCKLIST_DEFAULT_INTERVAL;
  self->max_bytes = GN_BLOCKLIST_DEFAULT_MAX_BYTES;
  self->max_shrink = GN_BLOCKLIST_DEFAULT_MAX_SHRINK;
  self->timeout_seconds = GN_BLOCKLIST_DEFAULT_TIMEOUT;
  self->download_missing = TRUE;
}

GnBlocklistManager *
gn_blocklist_manager_new (const char *config_dir,
                          const char *cache_dir)
{
  GnBlocklistManager *self = g_object_new (GN_TYPE_BLOCKLIST_MANAGER, NULL);

  self->config_path = config_dir != NULL
    ? g_build_filename (config_dir, CONFIG_FILE, NULL)
    : g_build_filename (g_get_user_config_dir (), "guardnest", CONFIG_FILE, NULL);
  self->cache_dir = cache_dir != NULL
    ? g_strdup (cache_dir)
    : g_build_filename (g_get_user_cache_dir (), "guardnest", "lists", NULL);

  return self;
}

/* Domains allowed for a while (GnTimedRules in the app keeps their expiry
 * and saves them): built in as one more allow list, "Allowed for a while",
 * never saved with the user's own rules. Rebuilds (and emits
 * "blocklist-changed") only when the set changed. */
void
gn_blocklist_manager_set_temporary_allow (GnBlocklistManager  *self,
                                          const char * const  *domains)
{
  const char * const empty[] = { NULL };

  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));

  if (domains == NULL)
    domains = empty;
  if (g_strv_equal (domains, (const char * const *) (self->temporary_allow ? self->temporary_allow
                                                                         : (char **) empty)))
    return;
  g_strfreev (self->temporary_allow);
  self->temporary_allow = domains[0] != NULL ? g_strdupv ((char **) domains) : NULL;
  _gn_blocklist_manager_request_rebuild (self, NULL);
}

/* Returns: (transfer full) (nullable): @domain as the user rules store it
 * (trimmed, a leading "*." dropped, normalised), or NULL with an error a
 * user can read when it is not a domain name or address. */
char *
gn_blocklist_manager_normalize_rule (const char  *domain,
                                     GError     **error)
{
  char name[GN_DOMAIN_MAX + 1];

  g_return_val_if_fail (domain != NULL, NULL);

  if (!normalize_user_rule (domain, name, error))
    return NULL;
  return g_strdup (name);
}
