/* gn-os-proxy-journal.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The journal: the user's own proxy settings, written to disk *before*
 * GuardNest changes anything, with the address it pointed the OS at. As long
 * as the file exists, some OS settings may point at GuardNest; whoever finds
 * it with no GuardNest listening (next start, --repair-proxy, the logon
 * repair entry) puts the user's settings back and deletes it.
 *
 * Written atomically (temp file + fsync + rename, mode 0600), so a kill or a
 * power cut leaves either the old file or the new one, never half of one.
 *
 * Threading: plain functions, any thread.
 */

#pragma once

#include "gn-os-proxy.h"

G_BEGIN_DECLS

typedef struct
{
  char              *host;      /* (owned) where we pointed the OS */
  guint16            port;
  char             **bypass;    /* (owned) (array zero-terminated=1) ours */
  gboolean           use_pac;   /* ours was our PAC script, not a manual proxy
                                 * (absent in older journals: FALSE) */
  gint64             created;   /* g_get_real_time () of the snapshot */
  GnOsProxySettings *snapshot;  /* (owned) the user's settings before us */
} GnOsProxyJournal;

GnOsProxyJournal *gn_os_proxy_journal_new          (const char          *host,
                                                    guint16              port,
                                                    const char * const  *bypass,
                                                    GnOsProxySettings   *snapshot);
void              gn_os_proxy_journal_free         (GnOsProxyJournal    *journal);

/* $GN_PROXY_JOURNAL, else g_get_user_state_dir ()/guardnest/proxy-journal.json. */
char             *gn_os_proxy_journal_default_path (void);

gboolean          gn_os_proxy_journal_save         (const GnOsProxyJournal *journal,
                                                    const char          *path,
                                                    GError             **error);
/* NULL without an error when there is no journal. A damaged journal is
 * moved aside to PATH.damaged (nothing is lost) and reported as
 * GN_ERROR_INVALID_DATA. */
GnOsProxyJournal *gn_os_proxy_journal_load         (const char          *path,
                                                    GError             **error);
gboolean          gn_os_proxy_journal_delete       (const char          *path,
                                                    GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnOsProxyJournal, gn_os_proxy_journal_free)

G_END_DECLS
