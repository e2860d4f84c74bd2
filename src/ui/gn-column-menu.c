/* gn-column-menu.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The header menu of our tables: right-clicking any column header offers a
 * check item per column to show or hide it. Each item is a GPropertyAction
 * on the column's "visible" property, in an action group named after the
 * table and inserted on the page that holds it. gn_column_menu_bind()
 * remembers the hidden columns (by their ids in the .ui) in GSettings.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-column-menu.h"

void
gn_column_menu_install (GtkColumnView *view,
                        GtkWidget     *owner,
                        const char    *prefix)
{
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  GListModel *columns;
  guint n;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  columns = gtk_column_view_get_columns (view);
  n = g_list_model_get_n_items (columns);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      g_autofree char *name = g_strdup_printf ("show-%u", i);
      g_autofree char *detailed = g_strdup_printf ("%s.%s", prefix, name);
      g_autoptr(GPropertyAction) action = g_property_action_new (name, column, "visible");

      g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (action));
      g_menu_append (section, gtk_column_view_column_get_title (column), detailed);
    }
  g_menu_append_section (menu, _("Show Columns"), G_MENU_MODEL (section));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      gtk_column_view_column_set_header_menu (column, G_MENU_MODEL (menu));
    }

  gtk_widget_insert_action_group (owner, prefix, G_ACTION_GROUP (group));
}

typedef struct
{
  GSettings     *settings;  /* (owned) */
  char          *key;       /* (owned) */
  GtkColumnView *view;      /* (unowned) */
} BindData;

static void
bind_data_free (gpointer data)
{
  BindData *bind = data;

  g_object_unref (bind->settings);
  g_free (bind->key);
  g_free (bind);
}

static void
visible_changed_cb (GtkColumnViewColumn *column,
                    GParamSpec          *pspec,
                    BindData            *bind)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) hidden = NULL;
  GListModel *columns = gtk_column_view_get_columns (bind->view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);
      const char *id = g_object_get_data (G_OBJECT (c), "gn-column-id");

      if (id != NULL && !gtk_column_view_column_get_visible (c))
        g_strv_builder_add (builder, id);
    }
  hidden = g_strv_builder_end (builder);
  g_settings_set_strv (bind->settings, bind->key, (const char * const *) hidden);
}

/* @ids names the columns in their .ui order (GTK 4.8 columns have no id of
 * their own); they are attached before the user can reorder them. */
void
gn_column_menu_bind (GtkColumnView      *view,
                     GSettings          *settings,
                     const char         *key,
                     const char * const *ids)
{
  g_auto(GStrv) hidden = NULL;
  GListModel *columns;
  BindData *bind;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));
  g_return_if_fail (G_IS_SETTINGS (settings));

  bind = g_new0 (BindData, 1);
  bind->settings = g_object_ref (settings);
  bind->key = g_strdup (key);
  bind->view = view;
  g_object_set_data_full (G_OBJECT (view), "gn-column-bind", bind, bind_data_free);

  hidden = g_settings_get_strv (settings, key);
  columns = gtk_column_view_get_columns (view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *id = ids[i];

      if (id == NULL)
        break;
      g_object_set_data_full (G_OBJECT (column), "gn-column-id", g_strdup (id), g_free);
      gtk_column_view_column_set_visible (column, !g_strv_contains ((const char * const *) hidden, id));
      g_signal_connect (column, "notify::visible", G_CALLBACK (visible_changed_cb), bind);
    }
}
