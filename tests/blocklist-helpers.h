/* blocklist-helpers.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the blocklist manager tests (test-blocklist-compiled,
 * test-blocklist-parts, test-blocklist-manager): writing a list or config
 * file, a text of what a set answers for each probe (to compare two sets),
 * a manager started on a config and cache folder with its first build
 * done, and dropping an object while work in flight may still hold it.
 * GLib and the engine only, so they build for Windows too (the first two
 * tests also run under Wine).
 *
 * Threading: the test's main thread (the managers' owner thread).
 */

#pragma once

#include "gn-blocklist.h"
#include "gn-blocklist-manager.h"

G_BEGIN_DECLS

void                gn_test_write_file            (const char          *dir,
                                                   const char          *name,
                                                   const char          *text);
char               *gn_test_describe_blocklist    (GnBlocklist         *list,
                                                   const char * const  *probes,
                                                   guint                n_probes);
void                gn_test_wait_for_change       (const guint         *changes,
                                                   guint                before);
GnBlocklistManager *gn_test_start_manager         (const char          *config_dir,
                                                   const char          *cache_dir,
                                                   guint               *changes);
void                gn_test_finalize_and_wait     (gpointer             object);

G_END_DECLS
