/* gn-settings-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's persisted settings: the GnEngineConfig values (port, bind
 * address, timeouts, limits, linger, upstream proxy), whether protection
 * was on and how many days of history to keep ([history] retention-days), in a key file (by default
 * `$XDG_CONFIG_HOME/guardnest/settings.ini`), so that a restarted app — the
 * window or the headless mode — comes back in the state it was left in.
 *
 * Threading contract: a GnSettingsStore is not thread-safe; use it from one
 * thread (the owner of the engine, normally the main thread). Loading and
 * saving are small synchronous file operations.
 */

#pragma once

#include <glib-object.h>

#include "gn-engine-config.h"

G_BEGIN_DECLS

#define GN_TYPE_SETTINGS_STORE (gn_settings_store_get_type ())
G_DECLARE_FINAL_TYPE (GnSettingsStore, gn_settings_store, GN, SETTINGS_STORE, GObject)

/* @path: (nullable): the key file, or NULL for the user's config dir. */
GnSettingsStore *gn_settings_store_new            (const char       *path);
const char      *gn_settings_store_get_path       (GnSettingsStore  *self);

/* Reads the file. A missing file is not an error (defaults). A damaged file,
 * or a value out of range, returns FALSE with a GN_ERROR_INVALID_DATA or
 * GN_ERROR_INVALID_CONFIG error that says what was wrong; the store then
 * holds the defaults for what could not be used (the whole file if it could
 * not be parsed), the file itself is left in place and a copy is kept next to
 * it as `<path>.bad`, so a later save never loses it silently.
 *
 * The file never opens the proxy to other computers: the config it gives
 * always has allow_non_loopback FALSE and a loopback bind-address (another
 * address is reset to 127.0.0.1 with a message), and an
 * `allow-non-loopback` key is ignored with a message and not saved again.
 * An upstream-host that is not a bare host name or IP literal (CR/LF,
 * spaces, "user@", "http://", a path or ":port") is reported and not used. */
gboolean         gn_settings_store_load           (GnSettingsStore  *self,
                                                   GError          **error);
/* Writes atomically (a temporary file renamed over the old one), creating the
 * directory if needed. */
gboolean         gn_settings_store_save           (GnSettingsStore  *self,
                                                   GError          **error);

/* Returns: (transfer full): the config as loaded or last set. */
GnEngineConfig  *gn_settings_store_dup_config     (GnSettingsStore  *self);
void             gn_settings_store_set_config     (GnSettingsStore  *self,
                                                   GnEngineConfig   *config);
gboolean         gn_settings_store_get_protection (GnSettingsStore  *self);
void             gn_settings_store_set_protection (GnSettingsStore  *self,
                                                   gboolean          enabled);

/* How many days of history to keep ([history] retention-days, 1 to
 * GN_HISTORY_MAX_RETENTION, default GN_HISTORY_DEFAULT_RETENTION). */
guint            gn_settings_store_get_history_days (GnSettingsStore *self);
void             gn_settings_store_set_history_days (GnSettingsStore *self,
                                                     guint            days);

G_END_DECLS
