/* gn-headless-exec.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GTK build's `guardnest` hands its window-less modes (--headless,
 * --repair-proxy) to guardnest-headless, the same main.c built without
 * GTK, so that they never map GTK and its libraries (see gn-headless-exec.c).
 * Linux and other Unix only: Windows has no exec and runs them in-process.
 *
 * Threading: main thread, before any other thread exists.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Replaces this process with the GTK-free binary, with the same @argv.
 * Returns only when there is none to run (an uninstalled copy of the
 * binary alone, a broken install): the caller then runs the mode itself. */
void gn_headless_exec (char **argv);

G_END_DECLS
