/* gn-blocklist-manager-build.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager's rebuilds (see gn-blocklist-manager.c): a GTask worker
 * builds a complete new GnBlocklist from the cached copies and the user's
 * rules, or maps the compiled file when it was built from the same inputs,
 * saves the compiled file after a build, and hands the result back on the
 * owner thread; requests arriving meanwhile coalesce into one more build.
 * A build parses only the sources whose compiled part (gn-blocklist-part.h,
 * "<id>.gnpart" next to "<id>.txt") is missing, stale or damaged, writing
 * their part on the way, and merges the others from their parts: a reload
 * after one list changed parses that list alone. Parts of sources that are
 * gone are deleted after the build.
 *
 * Threading: the owner thread, except build_worker (a GTask thread, which
 * only sees its BuildJob).
 */

#include <errno.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-file.h"
#include "gn-blocklist-manager-private.h"
#include "gn-blocklist-part.h"
#include "gn-domain.h"
#include "gn-error.h"

/* Rebuilding ------------------------------------------------------------- */

typedef struct
{
  char              *id;
  char              *name;
  char              *path;
  char              *part_path;
  GnBlocklistFormat  format;
  guint64            entries;  /* out */
  guint64            size;     /* out */
  char              *error;    /* out (nullable) */
} BuildItem;

typedef struct
{
  GArray      *items;       /* BuildItem */
  GStrv        allow;
  GStrv        block;
  GStrv        temporary;   /* (nullable) allowed for a while */
  char        *compiled_path;
  char        *cache_dir;
  GStrv        source_ids;  /* every source's, enabled or not: their parts stay */
  gsize        expect_rules; /* a size hint for the table */
  gboolean     try_compiled; /* use the compiled file if its inputs match */
  gboolean     loaded;      /* out: mapped without parsing */
  gboolean     saved;       /* out: the compiled file was written */
  guint        n_parsed;    /* out: sources parsed (their part rewritten) */
  guint        n_merged;    /* out: sources merged from their part */
  GnBlocklist *result;
} BuildJob;

static void
build_item_clear (gpointer data)
{
  BuildItem *item = data;

  g_free (item->id);
  g_free (item->name);
  g_free (item->path);
  g_free (item->part_path);
  g_free (item->error);
}

static void
build_job_free (BuildJob *job)
{
  g_array_unref (job->items);
  g_strfreev (job->allow);
  g_strfreev (job->block);
  g_strfreev (job->temporary);
  g_free (job->compiled_path);
  g_free (job->cache_dir);
  g_strfreev (job->source_ids);
  g_clear_pointer (&job->result, gn_blocklist_unref);
  g_free (job);
}

static void
add_user_list (GnBlocklistBuilder *builder,
               const char         *name,
               GnMatchKind         kind,
               GStrv               rules)
{
  guint index = gn_blocklist_builder_add_list (builder, name);

  for (guint i = 0; rules[i] != NULL; i++)
    gn_blocklist_builder_add_rule (builder, index, kind, rules[i], strlen (rules[i]));
}

static void
add_rules_to_id (GnBlocklistInputId *id,
                 const char         *list_name,
                 GStrv               rules)
{
  gn_blocklist_input_id_add_string (id, list_name);
  gn_blocklist_input_id_add_uint64 (id, rules != NULL ? g_strv_length (rules) : 0);
  for (guint i = 0; rules != NULL && rules[i] != NULL; i++)
    gn_blocklist_input_id_add_string (id, rules[i]);
}

/* What the set is built from: the user's rules, the list names as shown
 * (translated), each cached file's identity (not its contents: reading
 * them is what the compiled file saves) and this version of the code. */
static guint64
compute_input_id (BuildJob *job)
{
  GnBlocklistInputId id;

  gn_blocklist_input_id_init (&id);
  gn_blocklist_input_id_add_string (&id, GN_VERSION);
  add_rules_to_id (&id, _(USER_ALLOW_NAME), job->allow);
  add_rules_to_id (&id, _(USER_BLOCK_NAME), job->block);
  add_rules_to_id (&id, _(TEMPORARY_ALLOW_NAME), job->temporary);

  for (guint i = 0; i < job->items->len; i++)
    {
      BuildItem *item = &g_array_index (job->items, BuildItem, i);
      g_autoptr(GFile) file = g_file_new_for_path (item->path);
      g_autoptr(GFileInfo) info = NULL;

      info = g_file_query_info (file,
                                G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                                G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC ","
                                G_FILE_ATTRIBUTE_UNIX_INODE,
                                G_FILE_QUERY_INFO_NONE, NULL, NULL);
      gn_blocklist_input_id_add_string (&id, item->id);
      gn_blocklist_input_id_add_string (&id, item->name);
      gn_blocklist_input_id_add_string (&id, item->path);
      gn_blocklist_input_id_add_uint64 (&id, item->format);
      if (info == NULL)
        {
          gn_blocklist_input_id_add_uint64 (&id, G_MAXUINT64);
          continue;
        }
      gn_blocklist_input_id_add_uint64 (&id, g_file_info_get_size (info));
      gn_blocklist_input_id_add_uint64 (&id, g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED));
      gn_blocklist_input_id_add_uint64 (&id, g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC));
      gn_blocklist_input_id_add_uint64 (&id, g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_UNIX_INODE));
    }

  return id.value;
}

#define ITEMS_TYPE "a(sttms)"

/* The per-source outcome (entries, size, error) saved with the set, so a
 * mapped start reports what the parse did. */
static GBytes *
items_to_bytes (BuildJob *job)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE (ITEMS_TYPE));
  g_autoptr(GVariant) v = NULL;

  for (guint i = 0; i < job->items->len; i++)
    {
      BuildItem *item = &g_array_index (job->items, BuildItem, i);

      g_variant_builder_add (&b, "(sttms)", item->id, item->entries, item->size, item->error);
    }
  v = g_variant_ref_sink (g_variant_builder_end (&b));
  return g_variant_get_data_as_bytes (v);
}

static gboolean
items_from_bytes (BuildJob *job,
                  GBytes   *bytes)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (ITEMS_TYPE),
                                                                        bytes, FALSE));

  if (g_variant_n_children (v) != job->items->len)
    return FALSE;
  for (guint i = 0; i < job->items->len; i++)
    {
      BuildItem *item = &g_array_index (job->items, BuildItem, i);
      const char *id, *error;

      g_variant_get_child (v, i, "(&sttm&s)", &id, &item->entries, &item->size, &error);
      if (!g_str_equal (id, item->id))
        return FALSE;
      g_free (item->error);
      item->error = g_strdup (error);
    }
  return TRUE;
}

/* One source into @builder: merged from its part when that is current and
 * sound, else parsed, its part written on the way (the builder's tap sees
 * exactly what the parse adds). FALSE: the list could not be used, and the
 * builder may hold part of it. */
static gboolean
add_source (BuildJob            *job,
            GnBlocklistBuilder  *builder,
            BuildItem           *item,
            GnBlocklistReport   *report,
            GCancellable        *cancellable,
            GError             **error)
{
  g_autoptr(GError) part_error = NULL;
  GnBlocklistPartWriter *writer;
  guint64 source_id;
  gboolean ok;

  source_id = gn_blocklist_part_source_id (item->path, item->format, error);
  if (source_id == 0)
    return FALSE;

  if (gn_blocklist_part_add (builder, item->name, item->part_path, source_id, report, &part_error))
    {
      job->n_merged++;
      return TRUE;
    }
  if (g_error_matches (part_error, GN_ERROR, GN_ERROR_IO) ||
      g_error_matches (part_error, GN_ERROR, GN_ERROR_FAILED))
    g_debug ("%s", part_error->message);
  else
    g_message ("%s", part_error->message);
  g_clear_error (&part_error);

  writer = gn_blocklist_part_writer_new (item->part_path, source_id, &part_error);
  if (writer == NULL)
    g_message ("%s", part_error->message);
  else
    gn_blocklist_builder_set_tap (builder, gn_blocklist_part_writer_add, writer);
  ok = gn_blocklist_builder_add_file (builder, item->name, item->path, item->format, report,
                                      cancellable, error);
  gn_blocklist_builder_set_tap (builder, NULL, NULL);
  job->n_parsed++;
  if (writer == NULL)
    return ok;

  /* the part is kept only if it is of the bytes that were hashed: a
   * download replacing the file meanwhile leaves no part that lies */
  if (!ok || gn_blocklist_part_source_id (item->path, item->format, NULL) != source_id)
    gn_blocklist_part_writer_abort (writer);
  else if (!gn_blocklist_part_writer_commit (writer, report, &part_error))
    g_message ("%s", part_error->message);
  return ok;
}

/* Parts whose source is gone (removed, or a build of an older version
 * that named them otherwise) and temporary files a crash left behind. */
static void
delete_stale_parts (BuildJob *job)
{
  g_autoptr(GDir) dir = g_dir_open (job->cache_dir, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      const char *ext = strstr (name, ".gnpart");
      gboolean stale;

      if (ext == NULL || ext == name)
        continue;
      path = g_build_filename (job->cache_dir, name, NULL);
      if (ext[strlen (".gnpart")] == '\0')
        {
          g_autofree char *id = g_strndup (name, ext - name);

          stale = !g_strv_contains ((const char * const *) job->source_ids, id);
        }
      else
        {
          GStatBuf st;

          /* another instance on the same cache may be writing this one */
          stale = g_str_has_prefix (ext, ".gnpart.") && g_stat (path, &st) == 0 &&
                  now - (gint64) st.st_mtime > 3600;
        }
      if (stale && g_unlink (path) != 0)
        g_debug ("%s could not be deleted: %s", path, g_strerror (errno));
    }
}

static void
build_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  BuildJob *job = task_data;
  gboolean again = TRUE;
  gint64 t_start = g_get_monotonic_time (), t_built = 0, t_saved = 0;
  guint64 input_id = compute_input_id (job);

  if (job->try_compiled)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) extra = NULL;
      g_autoptr(GnBlocklist) list = gn_blocklist_load_compiled (job->compiled_path, input_id,
                                                                &extra, &error);

      if (list != NULL && items_from_bytes (job, extra))
        {
          job->result = g_steal_pointer (&list);
          job->loaded = TRUE;
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (list != NULL)
        g_message ("The compiled blocklist %s does not match its lists; they are parsed instead",
                   job->compiled_path);
      else if (g_error_matches (error, GN_ERROR, GN_ERROR_INVALID_DATA) &&
               !g_file_test (job->compiled_path, G_FILE_TEST_EXISTS))
        g_debug ("%s", error->message);
      else
        g_message ("%s", error->message);
    }

  /* a list that fails to parse is left out and the build starts over, so
   * the result never holds part of a list */
  while (again)
    {
      g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();

      again = FALSE;
      gn_blocklist_builder_reserve (builder, job->expect_rules);
      add_user_list (builder, _(USER_ALLOW_NAME), GN_MATCH_ALLOW, job->allow);
      add_user_list (builder, _(USER_BLOCK_NAME), GN_MATCH_BLOCK, job->block);
      if (job->temporary != NULL)
        add_user_list (builder, _(TEMPORARY_ALLOW_NAME), GN_MATCH_ALLOW, job->temporary);

      for (guint i = 0; i < job->items->len && !again; i++)
        {
          BuildItem *item = &g_array_index (job->items, BuildItem, i);
          g_autoptr(GError) error = NULL;
          GnBlocklistReport report;
          GStatBuf st;

          if (item->error != NULL)
            continue;
          if (!add_source (job, builder, item, &report, cancellable, &error))
            {
              item->error = g_strdup_printf (_("The saved copy could not be used: %s"), error->message);
              again = TRUE;
              continue;
            }
          item->entries = report.accepted;
          item->size = g_stat (item->path, &st) == 0 ? (guint64) st.st_size : 0;
        }

      if (!again)
        job->result = gn_blocklist_builder_end (g_steal_pointer (&builder));
      t_built = g_get_monotonic_time ();
    }

  /* save it, then serve it from the file: the heap copy goes */
  if (job->result != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) extra = items_to_bytes (job);
      g_autofree char *dir = g_path_get_dirname (job->compiled_path);
      GnBlocklist *mapped;

      if (g_mkdir_with_parents (dir, 0700) != 0)
        g_message ("The compiled blocklist could not be saved in %s (%s); the lists are parsed "
                   "again at the next start", dir, g_strerror (errno));
      else if (!gn_blocklist_save_compiled (job->result, job->compiled_path, input_id, extra,
                                            cancellable, &error))
        g_message ("%s", error->message);
      else
        {
          job->saved = TRUE;
          mapped = gn_blocklist_load_compiled (job->compiled_path, input_id, NULL, &error);
          if (mapped != NULL)
            {
              g_clear_pointer (&job->result, gn_blocklist_unref);
              job->result = mapped;
            }
          else
            g_message ("%s", error->message);
        }
    }

  if (job->result != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      t_saved = g_get_monotonic_time ();
      delete_stale_parts (job);
      g_debug ("Blocklist build: %u lists parsed, %u merged from their parts in %.3f s; "
               "saved and mapped in %.3f s", job->n_parsed, job->n_merged,
               (t_built - t_start) / 1e6, (t_saved - t_built) / 1e6);
    }
  /* The heap copy's 40 MB went back to malloc, which may keep much of it
   * (a worker thread's arena, big blocks once the mmap threshold has
   * grown): give it back to the system, or a reload can leave ~20 MB of
   * RSS behind. */
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  g_task_return_boolean (task, TRUE);
}

static GnBlocklistSource *
find_source (GnBlocklistManager *self,
             const char         *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);

      if (g_str_equal (gn_blocklist_source_get_id (s), id))
        return s;  /* the store keeps it alive */
    }
  return NULL;
}

static void start_rebuild (GnBlocklistManager *self);

static void
on_build_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GnBlocklistManager *self = GN_BLOCKLIST_MANAGER (object);
  BuildJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->rebuilding = FALSE;

  if (!g_cancellable_is_cancelled (self->cancellable) && job->result != NULL)
    {
      for (guint i = 0; i < job->items->len; i++)
        {
          BuildItem *item = &g_array_index (job->items, BuildItem, i);
          GnBlocklistSource *s = find_source (self, item->id);

          if (s == NULL)
            continue;
          g_object_freeze_notify (G_OBJECT (s));
          if (item->error != NULL)
            gn_blocklist_source_set_last_error (s, item->error);
          else
            {
              gn_blocklist_source_set_entries (s, item->entries);
              gn_blocklist_source_set_size (s, item->size);
            }
          g_object_thaw_notify (G_OBJECT (s));
        }

      self->n_compiled_loads += job->loaded;
      self->n_compiled_saves += job->saved;
      self->n_part_parses += job->n_parsed;
      self->n_part_merges += job->n_merged;
      self->built_once = TRUE;
      g_clear_pointer (&self->blocklist, gn_blocklist_unref);
      self->blocklist = g_steal_pointer (&job->result);
      _gn_blocklist_manager_emit_changed (self);
    }

  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);

  if (self->rebuild_pending && !g_cancellable_is_cancelled (self->cancellable))
    start_rebuild (self);
}

static GStrv
copy_rules (GPtrArray *rules)
{
  return g_strdupv ((char **) rules->pdata);
}

static void
start_rebuild (GnBlocklistManager *self)
{
  g_autoptr(GTask) task = NULL;
  BuildJob *job = g_new0 (BuildJob, 1);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));
  GPtrArray *tmp;

  job->items = g_array_new (FALSE, TRUE, sizeof (BuildItem));
  g_array_set_clear_func (job->items, build_item_clear);
  job->allow = copy_rules (self->user_rules[0]);
  job->block = copy_rules (self->user_rules[1]);
  job->temporary = g_strdupv (self->temporary_allow);
  job->compiled_path = _gn_blocklist_manager_compiled_path (self);
  job->cache_dir = g_strdup (self->cache_dir);
  job->source_ids = g_new0 (char *, n + 1);
  job->try_compiled = !self->built_once;
  /* the last build's count, or before any the lists' saved counts (which
   * count a name once per list: the builder shrinks what is left over) */
  job->expect_rules = self->built_once ? gn_blocklist_get_n_rules (self->blocklist) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);
      g_autofree char *path = _gn_blocklist_manager_cache_path (self, s);
      BuildItem item = { 0 };

      job->source_ids[i] = g_strdup (gn_blocklist_source_get_id (s));
      if (!gn_blocklist_source_get_enabled (s) || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      item.id = g_strdup (gn_blocklist_source_get_id (s));
      item.name = g_strdup (gn_blocklist_source_get_name (s));
      item.path = g_steal_pointer (&path);
      item.part_path = _gn_blocklist_manager_part_path (self, s);
      item.format = gn_blocklist_source_get_format (s);
      g_array_append_val (job->items, item);
      if (!self->built_once)
        job->expect_rules += gn_blocklist_source_get_entries (s);
    }

  /* the waiters of the pending request now wait for this build */
  tmp = self->waiters;
  self->waiters = self->pending_waiters;
  self->pending_waiters = tmp;
  self->rebuild_pending = FALSE;
  self->rebuilding = TRUE;

  task = g_task_new (self, self->cancellable, on_build_done, NULL);
  g_task_set_source_tag (task, start_rebuild);
  g_task_set_task_data (task, job, (GDestroyNotify) build_job_free);
  g_task_run_in_thread (task, build_worker);
}

void
_gn_blocklist_manager_request_rebuild (GnBlocklistManager *self,
                                       GTask              *waiter)
{
  if (waiter != NULL)
    g_ptr_array_add (self->pending_waiters, g_object_ref (waiter));
  self->rebuild_pending = TRUE;
  if (!self->rebuilding && !self->loading)
    start_rebuild (self);
}
