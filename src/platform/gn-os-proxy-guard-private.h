/* gn-os-proxy-guard-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guard's state, shared by gn-os-proxy-guard.c (enable, restore,
 * repair, watch) and gn-os-proxy-guard-upstream.c (the user's upstream and
 * bypass list); and a test hook: called after the journal is on disk and
 * before ours is applied, so a test can kill the process exactly between
 * the two steps.
 *
 * Threading: the guard's thread.
 */

#pragma once

#include "gn-os-proxy-guard.h"
#include "gn-os-proxy-journal.h"

G_BEGIN_DECLS

struct _GnOsProxyGuard
{
  GObject            parent_instance;
  GnOsProxy         *backend;       /* (owned) */
  char              *journal_path;  /* (owned) */
  char             **bypass;        /* (owned) */
  gboolean           use_pac;       /* point the OS at our PAC script */
  GnOsProxyJournal  *journal;       /* (owned) (nullable) set while active */
  gboolean           overridden;    /* changed-by-other already reported */
  void             (*hook) (gpointer);
  gpointer           hook_data;
};

/* The manual server a user would name (http, else https), or NULL. */
const GnOsProxyServer *_gn_os_proxy_manual_server (const GnOsProxyEntry *e);


void _gn_os_proxy_guard_set_after_journal_hook (GnOsProxyGuard *self,
                                                void          (*hook) (gpointer data),
                                                gpointer        data);

G_END_DECLS
