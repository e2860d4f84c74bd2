/* gn-domain.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Host-name normalisation and hashing shared by the list parsers (which
 * store names) and the lookup (which matches them), so both sides agree on
 * exactly one spelling of every name: lower case, no trailing dot, IDN as
 * punycode, IPv6 without brackets in its canonical text form.
 *
 * Threading: pure functions, callable from any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GN_DOMAIN_MAX 253

typedef enum
{
  GN_NAME_DOMAIN,        /* a domain with at least two labels */
  GN_NAME_SINGLE_LABEL,  /* "localhost", "com": valid but never a list rule */
  GN_NAME_IP,            /* an IPv4 or IPv6 literal */
  GN_NAME_INVALID,       /* not a host name */
} GnNameKind;

/* Normalises @len bytes of @in into @out (at least GN_DOMAIN_MAX + 1 bytes,
 * NUL-terminated) and stores the length in @out_len. Returns what the name
 * is; @out is only meaningful unless GN_NAME_INVALID is returned. */
GnNameKind gn_domain_normalize (const char *in,
                                gsize       len,
                                char       *out,
                                gsize      *out_len);

/* The hash used by the compact set. gn_domain_hash() of a whole name equals
 * the value gn_domain_hash_suffixes() reports for that name as a suffix. */
guint64    gn_domain_hash      (const char *name,
                                gsize       len);

/* Hashes every suffix of @name that starts at a label boundary, walking from
 * the end, in one pass. Stores at most @max offsets/hashes, most specific
 * (the whole name) first; suffixes with fewer than @min_labels labels are
 * left out. Returns how many were stored. */
guint      gn_domain_hash_suffixes (const char *name,
                                    gsize       len,
                                    guint       min_labels,
                                    guint16    *offsets,
                                    guint64    *hashes,
                                    guint       max);

G_END_DECLS
