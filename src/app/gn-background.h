/* gn-background.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Running in the background, decided without widgets: what the window's
 * close button does (quit, hide, or ask first) and what the tray icon
 * shows (one line of state, whether it needs attention, whether Pause is
 * offered). The window (src/ui) and the tray (src/platform/gn-tray.h) only
 * carry these decisions out, so they are tested without a display.
 *
 * Threading: plain functions, any thread.
 */

#pragma once

#include <glib.h>

#include "gn-protection.h"

G_BEGIN_DECLS

typedef enum
{
  GN_CLOSE_QUIT,  /* close as always: the app ends, the proxy settings go back */
  GN_CLOSE_HIDE,  /* hide the window, keep protecting */
  GN_CLOSE_ASK,   /* ask "Keep protecting in the background?" first */
} GnCloseAction;

/* @mode: GSettings run-in-background ("ask", "always", "never"). Hiding
 * needs protection on, a tray to come back through, and not quitting. */
GnCloseAction gn_background_decide_close (gboolean     protecting,
                                          gboolean     has_tray,
                                          gboolean     quitting,
                                          const char  *mode);

typedef struct
{
  char     *state;      /* (owned) the tooltip and the menu's first line */
  gboolean  attention;  /* protection is not doing its job */
  gboolean  can_pause;  /* "Pause for 15 minutes" makes sense now */
} GnTrayView;

/* @status_text: (nullable): the protection's status line. @blocking: rules
 * are in force (gn_protection_get_blocking()). @paused_until: µs, 0 when
 * not paused. */
void          gn_background_tray_view    (GnProtectionState  state,
                                          const char        *status_text,
                                          gboolean           blocking,
                                          gint64             paused_until,
                                          GnTrayView        *view);
void          gn_tray_view_clear         (GnTrayView        *view);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GnTrayView, gn_tray_view_clear)

G_END_DECLS
