/* gn-headless.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `guardnest --headless`: the engine without a display, for servers,
 * scripts and tests. Never initialises GTK.
 *
 * Threading: runs a main loop on the calling (main) thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses the headless options and runs until SIGINT/SIGTERM. Returns the
 * process exit status. */
int gn_headless_run (int    argc,
                     char **argv);

G_END_DECLS
