/* gn-connection-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_TYPE_CONNECTION_ROW (gn_connection_row_get_type ())
G_DECLARE_FINAL_TYPE (GnConnectionRow, gn_connection_row, GN, CONNECTION_ROW, GObject)

GnConnectionRow *gn_connection_row_new            (const GnConnectionInfo *info,
                                                   gint64                  now_us);
void             gn_connection_row_update         (GnConnectionRow        *self,
                                                   const GnConnectionInfo *info);
void             gn_connection_row_tick           (GnConnectionRow        *self,
                                                   gint64                  now_us);

guint64          gn_connection_row_get_id         (GnConnectionRow        *self);
const char      *gn_connection_row_get_host       (GnConnectionRow        *self);
guint            gn_connection_row_get_port       (GnConnectionRow        *self);
GnConnectionKind gn_connection_row_get_kind       (GnConnectionRow        *self);
GnConnectionState gn_connection_row_get_state     (GnConnectionRow        *self);
guint64          gn_connection_row_get_bytes_up   (GnConnectionRow        *self);
guint64          gn_connection_row_get_bytes_down (GnConnectionRow        *self);
gboolean         gn_connection_row_get_closed     (GnConnectionRow        *self);
/* (nullable) the program that made it, once GnAppResolver knows. */
const char      *gn_connection_row_get_app        (GnConnectionRow        *self);
void             gn_connection_row_set_app        (GnConnectionRow        *self,
                                                   const char             *app);

const char      *gn_connection_kind_to_string     (GnConnectionKind        kind);
const char      *gn_connection_state_to_string    (GnConnectionState       state);

G_END_DECLS
