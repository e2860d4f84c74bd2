/* gn-timed-rules.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnTimedRules (see gn-timed-rules.h). The state is two things: the end of
 * a pause (0: none) and a table domain → end of its allow. Every change is
 * written at once, atomically (temporary file + rename, json-glib), so a
 * crash never loses a pause the user asked for. One timer, set to the
 * nearest end, expires what is due; a clock that jumps (suspend, a test's
 * clock) is handled because every check reads the clock instead of
 * counting on the timer's interval.
 *
 * Threading: the owner (main) thread; the timer is attached to the
 * thread-default main context of the thread that created the object.
 */

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gn-blocklist-manager.h"
#include "gn-error.h"
#include "gn-timed-rules.h"

#define FILE_VERSION 1

struct _GnTimedRules
{
  GObject       parent_instance;

  char         *path;          /* (owned) */
  GnClockFunc   clock;
  gpointer      clock_data;
  GMainContext *context;       /* (owned) */
  GSource      *timer;         /* (owned) (nullable) */
  gint64        paused_until;  /* µs, 0: not paused */
  GHashTable   *allowed;       /* (owned) domain → gint64* end (µs) */
};

G_DEFINE_FINAL_TYPE (GnTimedRules, gn_timed_rules, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time ();
}

static gint64
now (GnTimedRules *self)
{
  return self->clock (self->clock_data);
}

/* ---- the file ---- */

static gboolean
save (GnTimedRules  *self,
      GError       **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, FILE_VERSION);
  json_builder_set_member_name (b, "paused-until");
  json_builder_add_int_value (b, self->paused_until);
  json_builder_set_member_name (b, "allowed");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, self->allowed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (b, key);
      json_builder_add_int_value (b, *(gint64 *) value);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (self->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not save the timed rules in %s: %s"), self->path,
                   local != NULL ? local->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void schedule (GnTimedRules *self);

static gboolean
timer_cb (gpointer user_data)
{
  GnTimedRules *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  gn_timed_rules_check (self);
  return G_SOURCE_REMOVE;
}

/* One timer, at the nearest end (at most a minute away, so a clock that
 * jumps is noticed soon). */
static void
schedule (GnTimedRules *self)
{
  gint64 t = now (self);
  gint64 next = G_MAXINT64;
  GHashTableIter iter;
  gpointer value;
  guint delay_ms;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->paused_until != 0)
    next = self->paused_until;
  g_hash_table_iter_init (&iter, self->allowed);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    next = MIN (next, *(gint64 *) value);
  if (next == G_MAXINT64)
    return;

  delay_ms = (guint) CLAMP ((next - t) / 1000 + 1, 0, 60 * 1000);
  self->timer = g_timeout_source_new (delay_ms);
  g_source_set_static_name (self->timer, "[guardnest] timed rules");
  g_source_set_priority (self->timer, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_attach (self->timer, self->context);
}

/* Drops what ended at @t; TRUE when something did. */
static gboolean
expire (GnTimedRules *self,
        gint64        t)
{
  gboolean changed = FALSE;
  GHashTableIter iter;
  gpointer value;

  if (self->paused_until != 0 && self->paused_until <= t)
    {
      self->paused_until = 0;
      changed = TRUE;
    }
  g_hash_table_iter_init (&iter, self->allowed);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (*(gint64 *) value <= t)
      {
        g_hash_table_iter_remove (&iter);
        changed = TRUE;
      }
  return changed;
}

/* Saved, announced and the timer moved after every change. */
static gboolean
commit (GnTimedRules  *self,
        GError       **error)
{
  gboolean ok = save (self, error);

  schedule (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return ok;
}

void
gn_timed_rules_check (GnTimedRules *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (GN_IS_TIMED_RULES (self));

  if (!expire (self, now (self)))
    {
      schedule (self);
      return;
    }
  if (!commit (self, &error))
    g_warning ("%s", error->message);
}

static gboolean
read_file (GnTimedRules  *self,
           GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonObject *root, *allowed;
  JsonNode *node;
  GList *members;

  if (!json_parser_load_from_file (parser, self->path, &local) ||
      (node = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("The timed rules in %s could not be read (%s); nothing is paused or "
                     "allowed for a while"), self->path,
                   local != NULL ? local->message : _("not a JSON object"));
      return FALSE;
    }
  root = json_node_get_object (node);
  if (json_object_get_int_member_with_default (root, "version", 0) != FILE_VERSION)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("The timed rules in %s are of an unknown version; nothing is paused or "
                     "allowed for a while"), self->path);
      return FALSE;
    }
  self->paused_until = MAX (json_object_get_int_member_with_default (root, "paused-until", 0), 0);
  allowed = json_object_get_object_member (root, "allowed");
  members = allowed != NULL ? json_object_get_members (allowed) : NULL;
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (allowed, l->data);
      g_autofree char *name = gn_blocklist_manager_normalize_rule (l->data, NULL);
      gint64 end;

      if (name == NULL || !JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64)
        continue;  /* one bad entry costs only itself */
      end = json_node_get_int (v);
      g_hash_table_insert (self->allowed, g_steal_pointer (&name), g_memdup2 (&end, sizeof end));
    }
  g_list_free (members);
  return TRUE;
}

gboolean
gn_timed_rules_load (GnTimedRules  *self,
                     GError       **error)
{
  g_return_val_if_fail (GN_IS_TIMED_RULES (self), FALSE);

  self->paused_until = 0;
  g_hash_table_remove_all (self->allowed);
  if (g_file_test (self->path, G_FILE_TEST_EXISTS) && !read_file (self, error))
    {
      g_autofree char *bad = g_strconcat (self->path, ".bad", NULL);

      self->paused_until = 0;
      g_hash_table_remove_all (self->allowed);
      g_rename (self->path, bad);
      commit (self, NULL);
      return FALSE;
    }
  /* What ended while the app was not running is over. */
  if (expire (self, now (self)))
    return commit (self, error);
  schedule (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/* ---- changes ---- */

static gboolean
check_minutes (guint    minutes,
               GError **error)
{
  if (minutes >= 1 && minutes <= GN_TIMED_RULES_MAX_MINUTES)
    return TRUE;
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
               _("A timed rule lasts from 1 minute to 7 days, not %u minutes"), minutes);
  return FALSE;
}

gboolean
gn_timed_rules_pause (GnTimedRules  *self,
                      guint          minutes,
                      GError       **error)
{
  g_return_val_if_fail (GN_IS_TIMED_RULES (self), FALSE);

  if (!check_minutes (minutes, error))
    return FALSE;
  self->paused_until = now (self) + (gint64) minutes * 60 * G_USEC_PER_SEC;
  return commit (self, error);
}

gboolean
gn_timed_rules_resume (GnTimedRules  *self,
                       GError       **error)
{
  g_return_val_if_fail (GN_IS_TIMED_RULES (self), FALSE);

  if (self->paused_until == 0)
    return TRUE;
  self->paused_until = 0;
  return commit (self, error);
}

gint64
gn_timed_rules_get_paused_until (GnTimedRules *self)
{
  g_return_val_if_fail (GN_IS_TIMED_RULES (self), 0);
  return self->paused_until != 0 && self->paused_until > now (self) ? self->paused_until : 0;
}

gboolean
gn_timed_rules_allow (GnTimedRules  *self,
                      const char    *domain,
                      guint          minutes,
                      GError       **error)
{
  g_autofree char *name = NULL;
  gint64 end;

  g_return_val_if_fail (GN_IS_TIMED_RULES (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  if (!check_minutes (minutes, error) ||
      (name = gn_blocklist_manager_normalize_rule (domain, error)) == NULL)
    return FALSE;
  end = now (self) + (gint64) minutes * 60 * G_USEC_PER_SEC;
  g_hash_table_insert (self->allowed, g_steal_pointer (&name), g_memdup2 (&end, sizeof end));
  return commit (self, error);
}

gboolean
gn_timed_rules_revoke (GnTimedRules  *self,
                       const char    *domain,
                       GError       **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (GN_IS_TIMED_RULES (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  name = gn_blocklist_manager_normalize_rule (domain, NULL);
  if (name == NULL || !g_hash_table_remove (self->allowed, name))
    return TRUE;
  return commit (self, error);
}

GStrv
gn_timed_rules_dup_allowed (GnTimedRules *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree const char **keys = NULL;
  gint64 t;
  guint n;

  g_return_val_if_fail (GN_IS_TIMED_RULES (self), NULL);

  t = now (self);
  keys = (const char **) g_hash_table_get_keys_as_array (self->allowed, &n);
  for (guint i = 0; i < n; i++)
    if (*(gint64 *) g_hash_table_lookup (self->allowed, keys[i]) > t)
      g_strv_builder_add (builder, keys[i]);
  return g_strv_builder_end (builder);
}

gint64
gn_timed_rules_get_allowed_until (GnTimedRules *self,
                                  const char   *domain)
{
  g_autofree char *name = NULL;
  gint64 *end;

  g_return_val_if_fail (GN_IS_TIMED_RULES (self), 0);
  g_return_val_if_fail (domain != NULL, 0);

  name = gn_blocklist_manager_normalize_rule (domain, NULL);
  end = name != NULL ? g_hash_table_lookup (self->allowed, name) : NULL;
  return end != NULL && *end > now (self) ? *end : 0;
}

void
gn_timed_rules_set_clock (GnTimedRules *self,
                          GnClockFunc   clock,
                          gpointer      user_data)
{
  g_return_if_fail (GN_IS_TIMED_RULES (self));

  self->clock = clock != NULL ? clock : real_clock;
  self->clock_data = clock != NULL ? user_data : NULL;
  schedule (self);
}

/* ---- GObject ---- */

static void
gn_timed_rules_dispose (GObject *object)
{
  GnTimedRules *self = GN_TIMED_RULES (object);

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  G_OBJECT_CLASS (gn_timed_rules_parent_class)->dispose (object);
}

static void
gn_timed_rules_finalize (GObject *object)
{
  GnTimedRules *self = GN_TIMED_RULES (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->allowed, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (gn_timed_rules_parent_class)->finalize (object);
}

static void
gn_timed_rules_class_init (GnTimedRulesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gn_timed_rules_dispose;
  object_class->finalize = gn_timed_rules_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_timed_rules_init (GnTimedRules *self)
{
  self->clock = real_clock;
  self->context = g_main_context_ref_thread_default ();
  self->allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

GnTimedRules *
gn_timed_rules_new (const char *path)
{
  GnTimedRules *self = g_object_new (GN_TYPE_TIMED_RULES, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : g_build_filename (g_get_user_config_dir (), "guardnest",
                                                "timed-rules.json", NULL);
  return self;
}
