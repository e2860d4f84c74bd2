/* gn-blocklist-part.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A compiled part: what parsing one source gave (its names, normalised, in
 * the order the parser handed them to the builder, plus the parse's
 * report), saved next to the source's cached copy when the manager parses
 * it. A later build whose source has not changed puts the part's names
 * into its builder instead of parsing the list again: the same calls in
 * the same order, so the set and every count are the same as a parse
 * gives. A reload after one list changed then parses that list only and
 * merges the others (see gn-blocklist-manager-build.c).
 *
 * A part is used only when its header holds (magic, format version, byte
 * order, header checksum, file size), its source id equals the caller's (a
 * hash of the source's bytes and format and of this version of the code:
 * gn_blocklist_part_source_id()) and its records' checksum and shape hold;
 * otherwise gn_blocklist_part_add() fails with GN_ERROR_INVALID_DATA saying
 * why, having added nothing, and the caller parses the source instead.
 *
 * Threading: any thread, no shared state; a writer belongs to the thread
 * that created it, except that its tap (gn_blocklist_part_writer_add())
 * runs on whichever thread the builder adds rules on, one at a time.
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-parser.h"

G_BEGIN_DECLS

/* Bumped whenever the layout of a part changes. */
#define GN_BLOCKLIST_PART_VERSION 1

/* The identity of @path's contents read as @format: 0 and an error when it
 * cannot be read. Reads the whole file (a 30 MB list: a few milliseconds
 * from the page cache). */
guint64   gn_blocklist_part_source_id   (const char               *path,
                                         GnBlocklistFormat         format,
                                         GError                  **error);

typedef struct _GnBlocklistPartWriter GnBlocklistPartWriter;

/* Starts writing a part for @path (a temporary file next to it). */
GnBlocklistPartWriter *gn_blocklist_part_writer_new (const char    *path,
                                                     guint64        source_id,
                                                     GError       **error);
/* A GnBlocklistTapFunc: pass the writer as its data
 * (gn_blocklist_builder_set_tap()). */
void      gn_blocklist_part_writer_add  (GnMatchKind               kind,
                                         const char               *name,
                                         gsize                     len,
                                         gpointer                  writer);
/* Completes the part with @report and renames it over the path (atomic: a
 * reader sees the old part or the new one). Not synced to disk: a part a
 * crash left damaged fails its checks and the source is parsed again.
 * Frees @writer either way. */
gboolean  gn_blocklist_part_writer_commit (GnBlocklistPartWriter   *writer,
                                           const GnBlocklistReport *report,
                                           GError                 **error);
/* Drops the temporary file and frees @writer. */
void      gn_blocklist_part_writer_abort  (GnBlocklistPartWriter   *writer);

/* Adds the part at @path to @builder as a list named @list_name, filling
 * @report (nullable) as the parse did. On failure nothing was added, and
 * the error is GN_ERROR_IO when there is no part (or it cannot be read),
 * GN_ERROR_FAILED when it is of other contents of the source (stale),
 * GN_ERROR_INVALID_DATA when it is damaged or of another version. */
gboolean  gn_blocklist_part_add         (GnBlocklistBuilder       *builder,
                                         const char               *list_name,
                                         const char               *path,
                                         guint64                   source_id,
                                         GnBlocklistReport        *report,
                                         GError                  **error);

G_END_DECLS
