/* gn-os-proxy-autostart-xdg.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Linux logon repair entry: while protection is on, an XDG autostart
 * file runs `guardnest --repair-proxy` at the next logon, so a crash or a
 * power cut never leaves the next session pointing at a proxy that is not
 * running, even when GuardNest itself is not set to start at logon. A clean
 * disable removes it. --repair-proxy does nothing (exit 0) when there is no
 * journal or GuardNest is running, so a left-over entry is harmless.
 *
 * The same writer makes the "Start at login" entry (gn-autostart.h):
 * `guardnest --background`, the window hidden.
 *
 * Threading: plain functions, any thread.
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "gn-autostart.h"
#include "gn-os-proxy-private.h"

char *
_gn_os_proxy_xdg_repair_entry_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart",
                           GN_APP_ID "-repair.desktop", NULL);
}

/* Exec= quoting as the Desktop Entry spec wants it: double quotes, with
 * `"`, `` ` ``, `$` and `\` escaped (then `\` doubled again, since the value
 * itself is an escaped string). */
static char *
exec_quote (const char *path)
{
  GString *out = g_string_new ("\"");

  for (const char *p = path; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\\\\\");
      else if (strchr ("\"`$", *p) != NULL)
        g_string_append_printf (out, "\\\\%c", *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* The running binary when we can tell, so a build-tree or /opt install
 * repairs with itself; else `guardnest` from PATH. */
static char *
self_command (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *base = exe ? g_path_get_basename (exe) : NULL;

  if (exe != NULL && g_str_has_prefix (base, "guardnest"))
    return exec_quote (exe);
  return g_strdup ("guardnest");
}

/* Writes an autostart entry that runs this binary with @args; @error says
 * only why it failed (the caller names the entry). Shared by the repair
 * entry and Start at login. */
static gboolean
write_entry (const char  *path,
             const char  *name,
             const char  *comment,
             const char  *args,
             const char  *extra,
             GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *command = self_command ();
  g_autofree char *contents = NULL;

  contents = g_strdup_printf ("[Desktop Entry]\n"
                              "Type=Application\n"
                              "Name=%s\n"
                              "Comment=%s\n"
                              "Exec=%s %s\n"
                              "Terminal=false\n"
                              "%s",
                              name, comment, command, args, extra);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error_literal (error, GN_ERROR, GN_ERROR_IO, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

gboolean
_gn_os_proxy_xdg_install_repair (GnOsProxy  *self,
                                 GError    **error)
{
  g_autofree char *path = _gn_os_proxy_xdg_repair_entry_path ();
  g_autoptr(GError) local = NULL;

  if (!write_entry (path, "GuardNest proxy settings repair",
                    "Puts back your proxy settings if GuardNest did not exit cleanly",
                    "--repair-proxy",
                    "NoDisplay=true\n"
                    "X-GNOME-Autostart-Phase=Initialization\n"
                    "X-KDE-autostart-phase=1\n",
                    &local))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The logon repair entry %s could not be written: %s"), path, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
_gn_os_proxy_xdg_remove_repair (GnOsProxy  *self,
                                GError    **error)
{
  g_autofree char *path = _gn_os_proxy_xdg_repair_entry_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The logon repair entry %s could not be removed: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* ---- Start at login (gn-autostart.h) ---- */

static char *
login_entry_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", GN_APP_ID ".desktop", NULL);
}

gboolean
gn_autostart_get_enabled (void)
{
  g_autofree char *path = login_entry_path ();

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

gboolean
gn_autostart_set_enabled (gboolean   enabled,
                          GError   **error)
{
  g_autofree char *path = login_entry_path ();
  g_autoptr(GError) local = NULL;

  if (enabled)
    {
      if (write_entry (path, "GuardNest",
                       "Protects every program on this computer from malicious domains",
                       "--background", "Icon=" GN_APP_ID "\nX-GNOME-Autostart-enabled=true\n",
                       &local))
        return TRUE;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("GuardNest cannot start at login: %s could not be written (%s)"), path,
                   local->message);
      return FALSE;
    }
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The login entry %s could not be removed: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
