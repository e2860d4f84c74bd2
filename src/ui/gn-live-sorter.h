/* gn-live-sorter.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkSorter that compares the rows' current values (see gn-live-sorter.c).
 *
 * Threading: main thread only, like every GTK object.
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GN_TYPE_LIVE_SORTER (gn_live_sorter_get_type ())
G_DECLARE_FINAL_TYPE (GnLiveSorter, gn_live_sorter, GN, LIVE_SORTER, GtkSorter)

GnLiveSorter *gn_live_sorter_new        (GtkSorter    *sorter);
GtkSorter    *gn_live_sorter_get_sorter (GnLiveSorter *self);
void          gn_live_sorter_set_sorter (GnLiveSorter *self,
                                         GtkSorter    *sorter);
void          gn_live_sorter_refresh    (GnLiveSorter *self);

G_END_DECLS
