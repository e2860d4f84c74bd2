/* gn-os-process.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What main() asks of the operating system about the process itself, before
 * anything else runs: where the installed data is, and (Windows) a console
 * to print to. On Windows guardnest.exe is a GUI-subsystem program, so it
 * gets no console window whose close button would end protection; the
 * command-line modes attach to the console of the shell that started them.
 * One implementation per OS (gn-os-process-unix.c, gn-os-process-windows.c),
 * chosen in meson.build.
 *
 * Threading: main thread, before any other thread exists.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Connects stdout and stderr to the console of the parent process (the
 * shell that ran `guardnest.exe --headless`) when they go nowhere. Returns
 * TRUE when stdout and stderr can be printed to. A no-op on Unix. */
gboolean gn_os_process_attach_console (void);

/* The folder holding the translations (…/share/locale): on Windows relative
 * to the installed guardnest.exe (<install>\share\locale), elsewhere the
 * configured prefix. Free with g_free(). */
char    *gn_os_process_dup_locale_dir (void);

G_END_DECLS
