/* gn-blocklist-builder.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds an immutable GnBlocklist from any number of lists (each with its
 * own name and format) plus single rules (the user's allowlist and
 * blocklist). Building takes a second for a million names, so it runs on a
 * worker thread; the result is then handed to the proxy, which swaps it in
 * atomically (gn_engine_set_blocklist()).
 *
 * Threading: a builder belongs to one thread at a time and is not locked.
 * Should an add fail half-way, the builder may hold part of that list:
 * discard it and start again without that list.
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-blocklist-parser.h"

G_BEGIN_DECLS

typedef struct _GnBlocklistBuilder GnBlocklistBuilder;

typedef enum
{
  GN_BUILDER_ADDED,            /* a new rule */
  GN_BUILDER_DUPLICATE,        /* the same list already had this name */
  GN_BUILDER_ALREADY_LISTED,   /* an earlier list had it; counted for both */
} GnBuilderResult;

GnBlocklistBuilder *gn_blocklist_builder_new       (void);
void                gn_blocklist_builder_free      (GnBlocklistBuilder *self);

/* Registers a list and returns its index for gn_blocklist_builder_add_rule().
 * The name is what GnMatch.list_name reports. */
guint               gn_blocklist_builder_add_list  (GnBlocklistBuilder *self,
                                                    const char         *list_name);
/* @name must already be normalised (gn_domain_normalize()); an IP literal
 * in any other spelling is stored in its canonical form
 * (gn_domain_canonical_address()) all the same. An allow rule replaces a
 * block rule for the same name, never the other way round. */
GnBuilderResult     gn_blocklist_builder_add_rule  (GnBlocklistBuilder *self,
                                                    guint               list_index,
                                                    GnMatchKind         kind,
                                                    const char         *name,
                                                    gsize               len);

/* Adds @len bytes of records, each [kind: 1 byte][length: 1 byte][name],
 * as gn_blocklist_builder_add_rule() would one by one and in the same
 * order, adding to @report's accepted, allow_rules and duplicates counts;
 * faster, as the slot probes of the next records overlap. The caller has
 * checked them: kinds GN_MATCH_BLOCK or GN_MATCH_ALLOW, lengths 1 to
 * GN_DOMAIN_MAX, no NUL inside a name (gn-blocklist-part.c). */
void                gn_blocklist_builder_add_records (GnBlocklistBuilder *self,
                                                      guint               list_index,
                                                      const guint8       *records,
                                                      gsize               len,
                                                      GnBlocklistReport  *report);

/* Parse a whole list. @report (nullable) is filled in even on error. UTF-8
 * (a byte order mark is skipped) or UTF-16 with a byte order mark (decoded);
 * see gn-blocklist-parser.c. */
gboolean            gn_blocklist_builder_add_data  (GnBlocklistBuilder  *self,
                                                    const char          *list_name,
                                                    const char          *data,
                                                    gsize                len,
                                                    GnBlocklistFormat    format,
                                                    GnBlocklistReport   *report,
                                                    GError             **error);
/* Same, reading @path in chunks so the file is never wholly in memory. */
gboolean            gn_blocklist_builder_add_file  (GnBlocklistBuilder  *self,
                                                    const char          *list_name,
                                                    const char          *path,
                                                    GnBlocklistFormat    format,
                                                    GnBlocklistReport   *report,
                                                    GCancellable        *cancellable,
                                                    GError             **error);
/* Same, refusing a file of more than @max_bytes (0: no cap) with a
 * GN_ERROR_INVALID_DATA error that names the file and its size: a regular
 * file's size is checked before anything is read; anything else (a FIFO)
 * is cut off when more than @max_bytes of text arrived. */
gboolean            gn_blocklist_builder_add_file_full (GnBlocklistBuilder  *self,
                                                        const char          *list_name,
                                                        const char          *path,
                                                        GnBlocklistFormat    format,
                                                        guint64              max_bytes,
                                                        GnBlocklistReport   *report,
                                                        GCancellable        *cancellable,
                                                        GError             **error);

/* Every rule added from now on is also handed to @func, as given to
 * gn_blocklist_builder_add_rule() (before an address is made canonical)
 * and in the same order, on the thread that adds it: the inserter thread
 * during a pipelined parse (gn-blocklist-inserter.h), which starts after
 * this call and is joined before gn_blocklist_builder_add_file() returns.
 * The manager records each list's parse this way (gn-blocklist-part.h).
 * @func NULL stops it. */
typedef void      (*GnBlocklistTapFunc)            (GnMatchKind         kind,
                                                    const char         *name,
                                                    gsize               len,
                                                    gpointer            user_data);
void                gn_blocklist_builder_set_tap   (GnBlocklistBuilder *self,
                                                    GnBlocklistTapFunc  func,
                                                    gpointer            user_data);

gsize               gn_blocklist_builder_get_n_rules (GnBlocklistBuilder *self);
/* Sizes the table for about @n_rules rules (a hint: more still fit, and
 * gn_blocklist_builder_end() shrinks a table left too big). */
void                gn_blocklist_builder_reserve (GnBlocklistBuilder *self,
                                                  gsize               n_rules);

/* Consumes the builder. */
GnBlocklist        *gn_blocklist_builder_end       (GnBlocklistBuilder *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnBlocklistBuilder, gn_blocklist_builder_free)

G_END_DECLS
