/* gn-blocklist-file.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compiled blocklist file: a GnBlocklist's compact layout (names arena
 * and hash slots, see gn-blocklist-private.h) saved as is, so that the next
 * start maps it read-only and looks names up in the mapping directly: no
 * parsing, no copy, pages faulted in on demand and shared with the page
 * cache. The manager keeps one next to its cached lists ("compiled.gnbl")
 * and rewrites it after every build.
 *
 * A file is used only when its header holds (magic, format version, byte
 * order, section bounds), its @input_id equals the caller's (a hash over
 * whatever the set was built from, see GnBlocklistInputId) and every
 * section's checksum holds; otherwise loading fails with GN_ERROR_INVALID_DATA
 * saying why, and the caller builds from the sources again.
 *
 * Threading: any thread; a loaded GnBlocklist is as thread-safe as any other
 * (immutable) and keeps the mapping alive until its last reference goes.
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"

G_BEGIN_DECLS

/* Bumped whenever the layout of the file or of the set changes. */
#define GN_BLOCKLIST_FILE_VERSION 1

/* Writes @list to @path atomically (a temporary file in the same folder,
 * then renamed over @path). @extra (nullable) is stored as an opaque
 * section the loader hands back (the manager keeps its per-source counts
 * there). */
gboolean     gn_blocklist_save_compiled   (GnBlocklist   *list,
                                           const char    *path,
                                           guint64        input_id,
                                           GBytes        *extra,
                                           GCancellable  *cancellable,
                                           GError       **error);

/* Maps @path and returns a GnBlocklist reading from the mapping, or NULL
 * with an error naming the reason (missing, truncated, another version,
 * built from other inputs, checksum mismatch). @extra_out (nullable)
 * receives the extra section, which references the mapping. */
GnBlocklist *gn_blocklist_load_compiled   (const char    *path,
                                           guint64        input_id,
                                           GBytes       **extra_out,
                                           GError       **error);

/* Whether @list reads from a mapped compiled file (rather than the heap). */
gboolean     gn_blocklist_is_mapped       (GnBlocklist   *list);

/* The fast 64-bit checksum used for the file's sections (XXH64 with seed
 * 0), also handy for input identities. */
guint64      gn_blocklist_checksum        (const void    *data,
                                           gsize          len,
                                           guint64        seed);

/* The same checksum a piece at a time: update() takes a multiple of 32
 * bytes, finish() the tail (fewer than 32 bytes). */
typedef struct
{
  guint64 v1, v2, v3, v4;
  guint64 seed;
  guint64 total;
} GnBlocklistChecksumState;

void         gn_blocklist_checksum_init   (GnBlocklistChecksumState *state,
                                           guint64                   seed);
void         gn_blocklist_checksum_update (GnBlocklistChecksumState *state,
                                           const void               *data,
                                           gsize                     len);
guint64      gn_blocklist_checksum_finish (GnBlocklistChecksumState *state,
                                           const void               *tail,
                                           gsize                     len);
/* Gives the whole pages of [@from, @to) in the mapping at @base back to
 * the kernel (they stay in the page cache), so reading a big mapped file
 * once never holds more than a chunk of it in RSS. Linux; a no-op
 * elsewhere. */
void         gn_blocklist_release_pages   (const guint8  *base,
                                           const guint8  *from,
                                           const guint8  *to);

/* Input identity: an incremental hash (FNV-1a 64) over the things a set is
 * built from: tags, strings and numbers, each length-delimited. */
typedef struct
{
  guint64 value;
} GnBlocklistInputId;

void         gn_blocklist_input_id_init       (GnBlocklistInputId *id);
void         gn_blocklist_input_id_add_string (GnBlocklistInputId *id,
                                               const char         *str);
void         gn_blocklist_input_id_add_uint64 (GnBlocklistInputId *id,
                                               guint64             value);

G_END_DECLS
