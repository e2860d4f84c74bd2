/* gn-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gn-file.h. Windows refuses to rename over a file that another handle
 * has open without FILE_SHARE_DELETE, which is how the C runtime (and so
 * g_file_get_contents()) opens files; the failure lasts only as long as
 * the reader's read, so a short retry loop is the whole fix.
 */

#include "gn-file.h"

#define RETRY_INTERVAL_US (10 * G_TIME_SPAN_MILLISECOND)
#define RETRY_FOR_US      (1 * G_TIME_SPAN_SECOND)

gboolean
gn_file_set_contents (const char             *path,
                      const char             *contents,
                      gssize                  length,
                      GFileSetContentsFlags   flags,
                      int                     mode,
                      GError                **error)
{
  gint64 give_up = g_get_monotonic_time () + RETRY_FOR_US;

  g_return_val_if_fail (path != NULL, FALSE);

  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (g_file_set_contents_full (path, contents, length, flags, mode, &local))
        return TRUE;
#ifdef G_OS_WIN32
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_ACCES) &&
          g_get_monotonic_time () < give_up)
        {
          g_usleep (RETRY_INTERVAL_US);
          continue;
        }
#else
      (void) give_up;
#endif
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
}
