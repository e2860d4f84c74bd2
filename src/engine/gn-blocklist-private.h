/* gn-blocklist-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compact layout of a GnBlocklist, shared by the builder (which fills
 * it) and the lookup (which reads it). Not for use outside those two files.
 *
 * Layout: one byte arena holds every rule as a record
 *   [kind | GN_RECORD_IP: 1 byte][list index: 2 bytes, little endian][name][NUL]
 * and an open-addressing table (linear probing, power-of-two size, load
 * factor at most 3/4) holds 8-byte slots: the upper 32 bits of the name's
 * 64-bit hash as a tag, and the record's offset + 1 (0 = empty slot). A
 * probe touches one slot per candidate suffix; the name is compared only when
 * the tag matches, so a hash collision can never produce a false match.
 * 1.3 M names cost about 16 MB of slots plus the names themselves.
 *
 * The same layout is what a compiled blocklist file holds
 * (gn-blocklist-file.c): a set loaded from one points into the mapping and
 * owns the mapping instead of the arena and slots.
 */

#pragma once

#include "gn-blocklist.h"

G_BEGIN_DECLS

typedef struct
{
  guint32 tag;
  guint32 off;   /* record offset + 1; 0 marks an empty slot */
} GnSlot;

#define GN_RECORD_HEADER 3
/* set in the kind byte of IP-literal rules: they match whole hosts only,
 * never as the suffix of a name such as "1.203.0.113.7" */
#define GN_RECORD_IP      0x80
#define GN_RECORD_KIND(rec) ((rec)[0] & 0x7f)

struct _GnBlocklist
{
  gatomicrefcount  ref_count;
  guint8          *arena;       /* (owned) records; into mapped when set */
  gsize            arena_len;
  GnSlot          *slots;       /* (owned) the table; into mapped when set */
  guint32          mask;        /* n_slots - 1 */
  gsize            n_rules;
  gsize            n_allow;
  GPtrArray       *list_names;  /* (owned) char*, indexed by list index (into
                                 * mapped, with no free function, when set) */
  GBytes          *mapped;      /* (owned) (nullable) the compiled file read from:
                                 * mapped, or on Windows read (see
                                 * gn_blocklist_load_compiled()) */
};

/* Frees a table the builder allocated for @mask + 1 slots (on Linux big
 * ones are mapped, see gn-blocklist-builder.c). */
void _gn_blocklist_table_free (GnSlot  *slots,
                               guint32  mask);

static inline guint32
_gn_slot_tag (guint64 hash)
{
  return (guint32) (hash >> 32);
}

G_END_DECLS
