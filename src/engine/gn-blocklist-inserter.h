/* gn-blocklist-inserter.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pipelined parsing of big list files (gn-blocklist-parser.c): the caller's
 * thread reads, parses and normalises; an inserter thread puts the names
 * into the builder, in the same order, so the result (and every count) is
 * the same as inserting them one by one. Inserting is about half the CPU
 * of a build (a cache miss into the slot table per name), so on two free
 * cores a big list is ready in a little over half the time.
 *
 * Threading: one parser thread calls start, push and finish; between start
 * and finish nothing else may touch the builder.
 */

#pragma once

#include "gn-blocklist-builder.h"
#include "gn-blocklist-parser.h"

G_BEGIN_DECLS

/* Below this a file is parsed and inserted on one thread: a thread costs
 * more than it saves. */
#define GN_BLOCKLIST_PIPELINE_MIN_BYTES (2 * 1024 * 1024)

typedef struct _GnBlocklistInserter GnBlocklistInserter;

GnBlocklistInserter *gn_blocklist_inserter_start  (GnBlocklistBuilder  *builder,
                                                   guint                list_index);
/* @name is normalised, 1..GN_DOMAIN_MAX bytes. */
void                 gn_blocklist_inserter_push   (GnBlocklistInserter *in,
                                                   GnMatchKind          kind,
                                                   const char          *name,
                                                   gsize                len);
/* Waits until every name is in the builder, adds the accepted, duplicate
 * and allow counts to @report (nullable: the parse failed and nobody reads
 * them) and frees @in. */
void                 gn_blocklist_inserter_finish (GnBlocklistInserter *in,
                                                   GnBlocklistReport   *report);

G_END_DECLS
