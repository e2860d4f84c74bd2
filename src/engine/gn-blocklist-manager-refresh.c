/* gn-blocklist-manager-refresh.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Downloads for the manager: refresh one source or all enabled ones through
 * gn-updater.c, record each outcome honestly on its source (last attempt,
 * last success, last error, entries, size), rebuild once when anything
 * changed, and summarise the run for the UI. Also the one-minute schedule
 * check that refreshes sources older than the interval.
 *
 * Threading: the owner (main) thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocklist-manager-private.h"
#include "gn-updater.h"

/* Downloads -------------------------------------------------------------- */

#define TITLE_SCAN_BYTES (16 * 1024)
#define TITLE_MAX_CHARS  80

/* The list's own name from its header comments ("! Title: EasyList",
 * "# Title: StevenBlack/hosts"), or NULL. */
static char *
read_title (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  g_autofree char *head = g_malloc (TITLE_SCAN_BYTES + 1);
  g_auto(GStrv) lines = NULL;
  gsize n = 0;

  if (in == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (in), head, TITLE_SCAN_BYTES, &n, NULL, NULL))
    return NULL;
  head[n] = '\0';
  lines = g_strsplit (head, "\n", 200);
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line != '!' && *line != '#')
        continue;
      while (*line == '!' || *line == '#' || *line == ' ' || *line == '\t')
        line++;
      if (g_ascii_strncasecmp (line, "Title:", 6) == 0)
        {
          char *title = g_strstrip (line + 6);

          if (*title == '\0' || !g_utf8_validate (title, -1, NULL))
            return NULL;
          return g_utf8_substring (title, 0, MIN (g_utf8_strlen (title, -1), TITLE_MAX_CHARS));
        }
    }
  return NULL;
}

typedef struct
{
  guint      outstanding;
  guint      updated;
  guint      current;
  GPtrArray *failures;   /* (owned) "Name: why", lists that keep a previous copy */
  GPtrArray *missing;    /* (owned) "Name: why", lists never downloaded */
} RefreshState;

static void
refresh_state_free (RefreshState *state)
{
  g_ptr_array_unref (state->failures);
  g_ptr_array_unref (state->missing);
  g_free (state);
}

static char *
refresh_summary (RefreshState *state)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *why = NULL;

  if (state->updated > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u list updated", "%u lists updated",
                                                       state->updated),
                                             state->updated));
  if (state->current > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u list already up to date",
                                                       "%u lists already up to date",
                                                       state->current),
                                             state->current));
  if (state->failures->len > 0)
    {
      guint n_failed = state->failures->len;

      g_ptr_array_add (state->failures, NULL);
      why = g_strjoinv ("; ", (char **) state->failures->pdata);
      /* Translators: the end is "List name: why; Other list: why" */
      g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u kept its previous version: %s",
                                                         "%u kept their previous version: %s",
                                                         n_failed),
                                               n_failed, why));
    }
  if (state->missing->len > 0)
    {
      guint n_missing = state->missing->len;
      g_autofree char *missing = NULL;

      g_ptr_array_add (state->missing, NULL);
      missing = g_strjoinv ("; ", (char **) state->missing->pdata);
      /* A list that was never downloaded has no previous version to keep. */
      g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u could not be downloaded: %s",
                                                         "%u could not be downloaded: %s",
                                                         n_missing),
                                               n_missing, missing));
    }
  if (parts->len == 0)
    return g_strdup (_("No lists to update"));

  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between the parts of the refresh summary */
  return g_strjoinv (_(", "), (char **) parts->pdata);
}

static void
on_refresh_rebuilt (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_pointer (task, refresh_summary (g_task_get_task_data (task)), g_free);
}

typedef struct
{
  GTask             *task;    /* (owned) the refresh */
  GnBlocklistSource *source;  /* (owned) */
} FetchContext;

static void
on_fetched (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  FetchContext *ctx = user_data;
  GnBlocklistManager *self = g_task_get_source_object (ctx->task);
  RefreshState *state = g_task_get_task_data (ctx->task);
  GnBlocklistSource *s = ctx->source;
  g_autoptr(GError) error = NULL;
  g_autoptr(GnUpdateResult) r = gn_updater_fetch_finish (result, &error);

  /* one burst of notifications (and so one pending save) per outcome */
  g_object_freeze_notify (G_OBJECT (s));
  if (r != NULL)
    {
      gn_blocklist_source_set_last_success (s, g_get_real_time () / G_USEC_PER_SEC);
      gn_blocklist_source_set_last_error (s, NULL);
      if (r->not_modified)
        state->current++;
      else
        {
          state->updated++;
          gn_blocklist_source_set_entries (s, r->entries);
          gn_blocklist_source_set_size (s, r->size);
          gn_blocklist_source_set_etag (s, r->etag);
          gn_blocklist_source_set_last_modified (s, r->last_modified);
          /* A list added by URL takes its own name, unless the user named it. */
          if (gn_blocklist_source_get_auto_name (s))
            {
              g_autofree char *path = _gn_blocklist_manager_cache_path (self, s);
              g_autofree char *title = read_title (path);

              if (title != NULL)
                gn_blocklist_source_set_name (s, title);
            }
        }
    }
  else
    {
      gn_blocklist_source_set_last_error (s, error->message);
      /* Translators: a list's name and why its refresh failed */
      g_ptr_array_add (gn_blocklist_source_get_last_success (s) == 0 ? state->missing : state->failures,
                       g_strdup_printf (_("%s: %s"), gn_blocklist_source_get_name (s), error->message));
    }
  gn_blocklist_source_set_updating (s, FALSE);
  g_object_thaw_notify (G_OBJECT (s));

  if (--state->outstanding == 0)
    {
      if (state->updated > 0)
        {
          GTask *waiter = g_task_new (self, NULL, on_refresh_rebuilt, g_object_ref (ctx->task));

          _gn_blocklist_manager_request_rebuild (self, waiter);
          g_object_unref (waiter);
        }
      else
        g_task_return_pointer (ctx->task, refresh_summary (state), g_free);
    }

  g_object_unref (ctx->task);
  g_object_unref (ctx->source);
  g_free (ctx);
}

void
gn_blocklist_manager_refresh_async (GnBlocklistManager  *self,
                                    GnBlocklistSource   *source,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func (g_object_unref);
  RefreshState *state;
  guint n;

  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));
  g_return_if_fail (source == NULL || GN_IS_BLOCKLIST_SOURCE (source));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gn_blocklist_manager_refresh_async);
  state = g_new0 (RefreshState, 1);
  state->failures = g_ptr_array_new_with_free_func (g_free);
  state->missing = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, state, (GDestroyNotify) refresh_state_free);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);

      if ((source == NULL && !gn_blocklist_source_get_enabled (s)) || (source != NULL && s != source))
        continue;
      if (!gn_blocklist_source_get_updating (s))
        g_ptr_array_add (todo, g_steal_pointer (&s));
    }

  if (todo->len == 0)
    {
      g_task_return_pointer (task, refresh_summary (state), g_free);
      return;
    }

  if (self->session == NULL)
    self->session = gn_updater_new_session (self->timeout_seconds, self->upstream_uri);

  state->outstanding = todo->len;
  for (guint i = 0; i < todo->len; i++)
    {
      GnBlocklistSource *s = g_ptr_array_index (todo, i);
      g_autofree char *path = _gn_blocklist_manager_cache_path (self, s);
      FetchContext *ctx = g_new0 (FetchContext, 1);

      ctx->task = g_object_ref (task);
      ctx->source = g_object_ref (s);
      g_object_freeze_notify (G_OBJECT (s));
      gn_blocklist_source_set_updating (s, TRUE);
      gn_blocklist_source_set_last_attempt (s, g_get_real_time () / G_USEC_PER_SEC);
      g_object_thaw_notify (G_OBJECT (s));
      gn_updater_fetch_async (self->session, s, path, self->max_bytes, self->max_shrink,
                              cancellable ? cancellable : self->cancellable, on_fetched, ctx);
    }
}

char *
gn_blocklist_manager_refresh_finish (GnBlocklistManager  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
_gn_blocklist_manager_check_schedule (gpointer user_data)
{
  GnBlocklistManager *self = user_data;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));

  if (self->refresh_hours == 0)
    return G_SOURCE_CONTINUE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);

      if (gn_blocklist_source_get_enabled (s) && !gn_blocklist_source_get_updating (s) &&
          now - gn_blocklist_source_get_last_attempt (s) >= (gint64) self->refresh_hours * 3600)
        gn_blocklist_manager_refresh_async (self, s, NULL, NULL, NULL);
    }

  return G_SOURCE_CONTINUE;
}

