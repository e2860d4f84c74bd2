/* gn-blocklists-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "gn-blocklist-manager.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKLISTS_PAGE (gn_blocklists_page_get_type ())
G_DECLARE_FINAL_TYPE (GnBlocklistsPage, gn_blocklists_page, GN, BLOCKLISTS_PAGE, GtkWidget)

void gn_blocklists_page_set_manager (GnBlocklistsPage   *self,
                                     GnBlocklistManager *manager);
void gn_blocklists_page_set_result  (GnBlocklistsPage   *self,
                                     const char         *text,
                                     gboolean            is_error);
gboolean gn_blocklists_page_add_source (GnBlocklistsPage *self,
                                        const char       *url,
                                        GError          **error);

G_END_DECLS
