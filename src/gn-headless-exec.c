/* gn-headless-exec.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gn-headless-exec.h. Headless never initialises GTK, but a binary
 * linked with it still maps GTK and the libraries it pulls in (graphene,
 * cairo, pango, harfbuzz, the image loaders …): about 14 MB of file-backed
 * resident memory at rest, the difference between a headless run of the
 * GTK build and of a -Dgui=false build. So the GTK build also builds
 * guardnest-headless (main.c without GN_HAVE_GUI, linked with the app,
 * engine, platform and common libraries only) and `guardnest --headless`
 * execs it with the same arguments. execv() keeps the process id, the open
 * descriptors (stdin, stdout, stderr), the environment, the signal mask and
 * ignored signals, so systemd, scripts and `kill` deal with the same
 * process, and argv[0] stays "guardnest" for --help and messages.
 *
 * Where it is looked for, the first executable one wins:
 *   1. next to this binary: the build tree (_build/src/guardnest-headless);
 *   2. libexecdir as seen from this binary (bin/ → ../libexec/), so an
 *      install under another prefix, or staged with DESTDIR, runs its own;
 *   3. the configured libexecdir.
 * When none can be run this returns and main() runs the mode in-process,
 * as it always did (GTK mapped, everything else the same).
 *
 * Threading: main thread, before any other thread exists (execv).
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gn-headless-exec.h"

#ifndef GN_HEADLESS_EXE
# error "GN_HEADLESS_EXE (the GTK-free binary's file name) must be defined by meson"
#endif

static void
try_exec (const char  *path,
          char       **argv)
{
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE) || g_file_test (path, G_FILE_TEST_IS_DIR))
    return;
  execv (path, argv);
  /* Not reached on success. */
  g_debug ("Could not run %s (%s); running in this process", path, g_strerror (errno));
}

void
gn_headless_exec (char **argv)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *installed = g_build_filename (GN_LIBEXECDIR, GN_HEADLESS_EXE, NULL);

  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *sibling = g_build_filename (dir, GN_HEADLESS_EXE, NULL);

      try_exec (sibling, argv);
#ifdef GN_BINDIR_TO_LIBEXECDIR
      {
        g_autofree char *relative = g_build_filename (dir, GN_BINDIR_TO_LIBEXECDIR,
                                                      GN_HEADLESS_EXE, NULL);
        try_exec (relative, argv);
      }
#endif
    }
  try_exec (installed, argv);
}
