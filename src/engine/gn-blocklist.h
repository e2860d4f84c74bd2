/* gn-blocklist.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The blocklist interface the proxy calls. A GnBlocklist is an immutable,
 * reference-counted set of rules built off the proxy thread; once built it is
 * never modified, so any thread may call gn_blocklist_lookup() on it without
 * locking. A new list set replaces the old one as a whole (see
 * gn_engine_set_blocklist()); connections in flight keep a reference to the
 * set they started with, and the old set is freed when the last one drops it.
 *
 * Matching: a listed domain blocks itself and every subdomain
 * ("example.com" blocks "a.b.example.com" but not "notexample.com" nor
 * "com"). Allow rules beat block rules at any depth. Names are normalised
 * before matching (case, trailing dot, IDN to punycode, "[::1]" to "::1");
 * IP literals match exactly, in their one canonical spelling
 * (gn_domain_canonical_address(): "::ffff:7f00:1" and "127.1" are
 * "127.0.0.1"). See README.md, "How blocking decides".
 *
 * Build one from files with gn_blocklist_new_from_files() (format detected
 * per file) or from anything with GnBlocklistBuilder
 * (gn-blocklist-builder.h); save one and map it back, without parsing, with
 * gn-blocklist-file.h. A mapped set reads its names and table from the
 * mapping and releases it with its last reference.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  GN_MATCH_NONE,   /* no rule matched: allowed */
  GN_MATCH_BLOCK,  /* a block rule matched */
  GN_MATCH_ALLOW,  /* an allow rule (exception or user allowlist) matched */
} GnMatchKind;

typedef struct
{
  GnMatchKind kind;
  /* Both point into the GnBlocklist and stay valid while the caller holds a
   * reference to it. NULL when kind is GN_MATCH_NONE. */
  const char *list_name;  /* the list that decided, e.g. "Malware" */
  const char *rule;       /* the rule as listed, e.g. "example.com" */
} GnMatch;

typedef struct _GnBlocklist GnBlocklist;

#define GN_TYPE_BLOCKLIST (gn_blocklist_get_type ())

GType        gn_blocklist_get_type        (void) G_GNUC_CONST;
GnBlocklist *gn_blocklist_new_empty       (void);
/* The most a local list file may hold (`guardnest --headless --blocklist
 * FILE`): the same 64 MiB as GN_BLOCKLIST_DEFAULT_MAX_BYTES, the cap on a
 * downloaded list. A larger file is refused before it is read. */
#define GN_BLOCKLIST_MAX_FILE_BYTES (G_GUINT64_CONSTANT (64) * 1024 * 1024)

/* Reads each file (UTF-8, or UTF-16 with a byte order mark; at most
 * GN_BLOCKLIST_MAX_FILE_BYTES) into one set; the first file that cannot be
 * used fails the whole call with an error naming it. */
GnBlocklist *gn_blocklist_new_from_files  (const char * const  *paths,
                                           GError             **error);
GnBlocklist *gn_blocklist_ref             (GnBlocklist         *self);
void         gn_blocklist_unref           (GnBlocklist         *self);
gsize        gn_blocklist_get_n_rules     (GnBlocklist         *self);
GnMatchKind  gn_blocklist_lookup          (GnBlocklist         *self,
                                           const char          *host,
                                           GnMatch             *match);
gsize        gn_blocklist_get_n_allow_rules (GnBlocklist       *self);
guint        gn_blocklist_get_n_lists     (GnBlocklist         *self);
const char  *gn_blocklist_get_list_name   (GnBlocklist         *self,
                                           guint                index);
/* Bytes of the rule set (names and table): on the heap, or mapped from a
 * compiled file (gn_blocklist_is_mapped()), where only the pages lookups
 * have touched are resident. */
gsize        gn_blocklist_get_memory_size (GnBlocklist         *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnBlocklist, gn_blocklist_unref)

G_END_DECLS
