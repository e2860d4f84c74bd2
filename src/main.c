/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guardnest binary: dispatches to headless mode (no GTK is initialised
 * for it) or to the application. Kept thin on purpose.
 */

#include <string.h>

#include <glib.h>

#include "gn-headless.h"
#include "gn-os-proxy-repair.h"

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

int
main (int   argc,
      char *argv[])
{
  /* Only the repair, nothing else (run at logon by the repair entry). */
  if (has_arg (argc, argv, "--repair-proxy"))
    return gn_os_proxy_repair_main ();

  if (has_arg (argc, argv, "--headless"))
    return gn_headless_run (argc, argv);

  /* No window yet in this build: run headless. */
  return gn_headless_run (argc, argv);
}
