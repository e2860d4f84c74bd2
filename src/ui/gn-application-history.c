/* gn-application-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's side of the statistics history (the store itself is the
 * session's, src/app/gn-history-store.c): the app.export-history action
 * (Export History… in the main menu) asks where with GtkFileChooserNative
 * (GtkFileDialog needs GTK 4.10; Debian 12 has 4.8), and
 * app.export-history-to ("s": a path) writes there directly, CSV or JSON
 * by the name's extension. The export runs on the store's writer thread;
 * the result is said in the status line.
 *
 * At start it also reads what earlier runs counted today, so that the
 * Overview's "today" figures go on from there (GnTrafficStats).
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-application-private.h"

typedef struct
{
  GnApplication *self;   /* (owned) */
  char          *path;   /* (owned) */
} Export;

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Export *e = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!gn_history_store_export_finish (GN_HISTORY_STORE (source), result, &error))
    text = g_strdup (error->message);
  else
    text = g_strdup_printf (_("History exported to %s"), e->path);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gn_protection_report (e->self->protection, text);
  g_object_unref (e->self);
  g_free (e->path);
  g_free (e);
}

static void
export_to (GnApplication *self,
           const char    *path)
{
  GnHistoryStore *history = gn_session_get_history (self->session);
  Export *e;

  if (history == NULL)
    return;
  e = g_new0 (Export, 1);
  e->self = g_object_ref (self);
  e->path = g_strdup (path);
  gn_history_store_export_async (history, path, gn_history_format_for_path (path),
                                 g_get_real_time (), self->cancellable, exported_cb, e);
}

static void
export_to_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  export_to (user_data, g_variant_get_string (parameter, NULL));
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     GnApplication   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        export_to (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
export_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  GnApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) json = gtk_file_filter_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "guardnest-history-%Y-%m-%d.csv");

  chooser = gtk_file_chooser_native_new (_("Export History"), parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (csv, _("CSV (spreadsheets)"));
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_filter_set_name (json, _("JSON"));
  gtk_file_filter_add_pattern (json, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), csv);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), json);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static const GActionEntry history_entries[] = {
  { "export-history", export_activated, NULL, NULL, NULL, { 0 } },
  { "export-history-to", export_to_activated, "s", NULL, NULL, { 0 } },
};

typedef struct
{
  GnApplication *self;   /* (owned) */
  gint64         from_us;
  gint64         to_us;
} Today;

static void
earlier_today_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Today *t = user_data;
  g_autoptr(GnHistory) h = gn_history_store_query_finish (GN_HISTORY_STORE (source), result, NULL);

  if (h != NULL)
    {
      GnCounters earlier = { 0 };

      for (guint i = 0; i < h->points->len; i++)
        {
          const GnHistoryPoint *p = &g_array_index (h->points, GnHistoryPoint, i);

          earlier.requests += p->requests;
          earlier.blocked += p->blocked;
          earlier.bytes_up += p->bytes_up;
          earlier.bytes_down += p->bytes_down;
        }
      gn_traffic_stats_set_earlier (t->self->stats, &earlier, t->from_us, t->to_us);
    }
  g_object_unref (t->self);
  g_free (t);
}

/* Queued before this run records anything (the writer runs jobs in
 * order), so the answer is earlier runs' only. */
static void
load_earlier_today (GnApplication *self)
{
  GnHistoryStore *history = gn_session_get_history (self->session);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (midnight, 1);
  Today *t;

  if (history == NULL || midnight == NULL || tomorrow == NULL)
    return;
  t = g_new0 (Today, 1);
  t->self = g_object_ref (self);
  t->from_us = g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
  t->to_us = g_date_time_to_unix (tomorrow) * G_USEC_PER_SEC;
  gn_history_store_query_async (history, g_date_time_to_unix (midnight),
                                g_date_time_to_unix (now) + 60, 60, self->cancellable,
                                earlier_today_cb, t);
}

void
_gn_application_init_history (GnApplication *self)
{
  load_earlier_today (self);
  g_action_map_add_action_entries (G_ACTION_MAP (self), history_entries,
                                   G_N_ELEMENTS (history_entries), self);
}
