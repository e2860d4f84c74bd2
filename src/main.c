/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guardnest binary: dispatches to headless mode (no GTK is initialised
 * for it) or to the application. Kept thin on purpose.
 *
 * Built twice on Linux when the window is built: `guardnest` (with
 * GN_HAVE_GUI) and guardnest-headless (without, installed in libexecdir).
 * The first hands --headless and --repair-proxy to the second
 * (gn-headless-exec.h), so they never map GTK; it runs them itself when
 * the second is missing. Windows and -Dgui=false builds have one binary.
 */

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "gn-headless.h"
#include "gn-os-process.h"
#include "gn-os-proxy-repair.h"
#include "gn-single-instance.h"

#ifdef GN_HAVE_GUI
# include "gn-application.h"
#endif
#ifdef GN_HEADLESS_EXE
# include "gn-headless-exec.h"
#endif

static gboolean
has_arg (int         argc,
         char      **argv,
         const char *arg)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], arg) == 0)
      return TRUE;
  return FALSE;
}

#ifdef GN_HAVE_GUI
static int
run_window (int   argc,
            char *argv[])
{
  g_autoptr(GnApplication) app = NULL;
  g_autoptr(GnSingleInstance) instance = NULL;
  gboolean help = has_arg (argc, argv, "--help") || has_arg (argc, argv, "-h") ||
                  has_arg (argc, argv, "--help-all") || has_arg (argc, argv, "--version");

  /* One window per session. Windows: without GApplication's D-Bus
   * uniqueness (it needs gdbus.exe); a later start shows the first one's
   * window, a later start at login (--background) just ends. */
  if (!help)
    {
      instance = gn_single_instance_new (GN_APP_ID, has_arg (argc, argv, "--background"));
      if (!gn_single_instance_is_primary (instance))
        return 0;
    }

  /* Say what to do instead of GTK's bare warning when there is no display. */
  if (!has_arg (argc, argv, "--help") && !has_arg (argc, argv, "-h") && !gtk_init_check ())
    {
      g_printerr (_("guardnest: cannot open display. To protect this computer without a window, "
                    "run “guardnest --headless”.\n"));
      return 1;
    }

  app = gn_application_new (NULL);
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) |
                           gn_single_instance_app_flags ());
  if (instance != NULL)
    g_signal_connect_object (instance, "activate", G_CALLBACK (g_application_activate), app,
                             G_CONNECT_SWAPPED);
  /* Handled in main() before the application exists; listed for --help. */
  g_application_add_main_option (G_APPLICATION (app), "headless", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE,
                                 _("Run without a window (“guardnest --headless --help” lists its options)"),
                                 NULL);
  g_application_add_main_option (G_APPLICATION (app), "repair-proxy", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE,
                                 _("Put back the system proxy settings a crash left pointing at GuardNest, then exit"),
                                 NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_autofree char *locale_dir = NULL;

#ifdef GN_HEADLESS_EXE
  /* The window-less modes without GTK mapped: returns only if the
   * GTK-free binary is missing, and then they run here. */
  if (has_arg (argc, argv, "--headless") || has_arg (argc, argv, "--repair-proxy"))
    gn_headless_exec (argv);
#endif

  locale_dir = gn_os_process_dup_locale_dir ();

  /* The command-line modes print (Windows: to the console that started them;
   * the window never attaches, so closing that console cannot end it). */
  if (has_arg (argc, argv, "--headless") || has_arg (argc, argv, "--repair-proxy") ||
      has_arg (argc, argv, "--help") || has_arg (argc, argv, "-h") ||
      has_arg (argc, argv, "--help-all") || has_arg (argc, argv, "--version"))
    gn_os_process_attach_console ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Only the repair, nothing else (run at logon by the repair entry). */
  if (has_arg (argc, argv, "--repair-proxy"))
    return gn_os_proxy_repair_main ();

  if (has_arg (argc, argv, "--headless"))
    return gn_headless_run (argc, argv);

#ifdef GN_HAVE_GUI
  return run_window (argc, argv);
#elif defined (GN_HEADLESS_HELPER)
  g_printerr (_("guardnest-headless runs only “guardnest --headless” and "
                "“guardnest --repair-proxy”; the window is “guardnest”.\n"));
  return 2;
#else
  g_printerr (_("guardnest: this build has no window (configured with -Dgui=false); "
                "run “guardnest --headless”.\n"));
  return 2;
#endif
}
