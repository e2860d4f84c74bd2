/* gn-tray-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Between gn-tray.c (the GnTray class: what to show, the "available"
 * property, the "item" signal) and the OS backend that shows it
 * (gn-tray-sni.c on Linux, gn-tray-windows.c on Windows), chosen by meson.
 * Threading: the tray's thread.
 */

#pragma once

#include "gn-tray.h"

G_BEGIN_DECLS

typedef struct _GnTrayBackend GnTrayBackend;   /* per OS */

struct _GnTray
{
  GObject        parent_instance;

  char          *icon_name;   /* (owned) */
  char          *title;       /* (owned) */
  char          *state;       /* (owned) */
  gboolean       attention;
  gboolean       can_pause;
  gboolean       available;
  GnTrayBackend *backend;     /* (owned) (nullable) once disposed */
};

typedef enum
{
  GN_TRAY_CHANGED_TITLE     = 1 << 0,
  GN_TRAY_CHANGED_STATE     = 1 << 1,
  GN_TRAY_CHANGED_ATTENTION = 1 << 2,
  GN_TRAY_CHANGED_CAN_PAUSE = 1 << 3,
} GnTrayChanges;

/* The backend, in the OS file. It reads what to show from @tray's fields
 * and reports through the two functions below; new() starts looking for
 * the tray host, free() takes the icon away (from dispose). */
GnTrayBackend *_gn_tray_backend_new          (GnTray        *tray);
void           _gn_tray_backend_free         (GnTrayBackend *backend);
void           _gn_tray_backend_changed      (GnTrayBackend *backend,
                                              GnTrayChanges  changes);
gboolean       _gn_tray_backend_show_message (GnTrayBackend *backend,
                                              const char    *title,
                                              const char    *body);

/* For the backend, in gn-tray.c. */
void           _gn_tray_set_available        (GnTray        *tray,
                                              gboolean       available);
void           _gn_tray_emit_item            (GnTray        *tray,
                                              GnTrayItem     item);

G_END_DECLS
