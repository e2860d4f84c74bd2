/* gn-preferences-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-application.h"

G_BEGIN_DECLS

#define GN_TYPE_PREFERENCES_DIALOG (gn_preferences_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GnPreferencesDialog, gn_preferences_dialog, GN, PREFERENCES_DIALOG, GtkWindow)

GtkWidget *gn_preferences_dialog_new (GtkWindow     *parent,
                                      GnApplication *app);

G_END_DECLS
