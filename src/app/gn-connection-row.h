/* gn-connection-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

/* How a connection ended, for the Result column (worst last). */
typedef enum
{
  GN_CONNECTION_RESULT_PENDING,     /* still open, nothing to say yet */
  GN_CONNECTION_RESULT_OK,
  GN_CONNECTION_RESULT_HTTP_ERROR,  /* the site answered 4xx/5xx */
  GN_CONNECTION_RESULT_BLOCKED,     /* a blocklist rule: our 403 */
  GN_CONNECTION_RESULT_FAILED,      /* DNS failure, refused, timed out, upstream…: our 4xx/5xx */
} GnConnectionResult;

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
GnConnectionResult gn_connection_row_get_result   (GnConnectionRow        *self);
/* "OK", "200 OK", "404 Not Found", "Blocked", or why it failed ("Could not
 * find the server example.com"); "" while open. (transfer full) */
char            *gn_connection_row_dup_result_text (GnConnectionRow       *self);

const char      *gn_connection_kind_to_string     (GnConnectionKind        kind);
const char      *gn_connection_state_to_string    (GnConnectionState       state);

G_END_DECLS
