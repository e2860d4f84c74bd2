/* gn-source-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-blocklist-source.h"

G_BEGIN_DECLS

#define GN_TYPE_SOURCE_ROW (gn_source_row_get_type ())
G_DECLARE_FINAL_TYPE (GnSourceRow, gn_source_row, GN, SOURCE_ROW, GtkListBoxRow)

GtkWidget         *gn_source_row_new        (GnBlocklistSource *source,
                                             gboolean           compact);
GnBlocklistSource *gn_source_row_get_source (GnSourceRow       *self);
char              *gn_source_describe_status (GnBlocklistSource *source,
                                              gint64             now);

G_END_DECLS
