/* gn-blocked-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-blocked-model.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKED_PAGE (gn_blocked_page_get_type ())
G_DECLARE_FINAL_TYPE (GnBlockedPage, gn_blocked_page, GN, BLOCKED_PAGE, GtkWidget)

void          gn_blocked_page_set_model    (GnBlockedPage  *self,
                                            GnBlockedModel *model);
GnBlockedRow *gn_blocked_page_get_selected (GnBlockedPage  *self);
GListModel   *gn_blocked_page_get_shown    (GnBlockedPage  *self);
void          gn_blocked_page_focus_search (GnBlockedPage  *self);

G_END_DECLS
