/* gn-file.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Atomic file replacement that behaves the same on every OS. Threading:
 * any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* g_file_set_contents_full(), which writes a temporary file and renames it
 * over @path. On Windows that rename fails (EACCES) while any process or
 * thread has the old file open for reading, where Linux never fails: there
 * it is retried for up to one second, so a reader that holds the file for
 * a moment cannot make a save fail. Same arguments and result otherwise. */
gboolean gn_file_set_contents (const char             *path,
                               const char             *contents,
                               gssize                  length,
                               GFileSetContentsFlags   flags,
                               int                     mode,
                               GError                **error);

G_END_DECLS
