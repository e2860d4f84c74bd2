/* gn-domain.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Host-name normalisation and hashing shared by the list parsers (which
 * store names) and the lookup (which matches them), so both sides agree on
 * exactly one spelling of every name: lower case, no trailing dot, IDN as
 * punycode, and every IP literal in the one canonical address form of
 * gn_domain_canonical_address() (so "::ffff:127.0.0.1", "2130706433" and
 * "127.1" all are "127.0.0.1", in a list rule as in a request).
 *
 * Threading: pure functions, callable from any thread.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GN_DOMAIN_MAX 253

/* Room for the canonical text of any address, with its NUL. */
#define GN_ADDRESS_MAX 46

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

/* The one canonical text form of an IP address literal, used by every
 * decision about an address (blocklist rules, lookups, the self-loop check)
 * and by the connection that follows it, so the address decided on and the
 * address dialled are the same. @len may be -1 for a NUL-terminated @host.
 *
 * Accepted spellings, and what they become:
 *   - dotted-quad IPv4 and every inet_aton() form resolvers and browsers
 *     accept: "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1"
 *     (each part decimal, 0-octal or 0x-hex; the last part fills the rest)
 *     -> "127.0.0.1";
 *   - IPv6 in any case, zero-padded or fully expanded, optionally in
 *     brackets, with any zone id ("%eth0") dropped -> RFC 5952 text
 *     ("fe80::1", "2001:db8::1");
 *   - IPv6 that reaches an IPv4 host -> that IPv4 address: IPv4-mapped
 *     ::ffff:0:0/96 (hex or dotted tail), IPv4-compatible ::/96 (but "::" and
 *     "::1" stay IPv6), and the NAT64 well-known prefix 64:ff9b::/96;
 *   - every other IPv6 (6to4, Teredo, 64:ff9b:1::/48, ::ffff:0:a.b.c.d)
 *     stays IPv6: no operating system turns those into the embedded IPv4.
 *
 * Writes the canonical text to @out (GN_ADDRESS_MAX bytes) and returns its
 * length, or 0 when @host is not an address in any spelling (a name). */
gsize      gn_domain_canonical_address (const char *host,
                                        gssize      len,
                                        char        out[GN_ADDRESS_MAX]);

/* Parses @len bytes as an IPv4 address in any inet_aton() spelling (see
 * above) into host byte order. */
gboolean   gn_domain_parse_ipv4        (const char *s,
                                        gsize       len,
                                        guint32    *address);

/* Whether the last label of @name is a number (all digits, or "0x" and hex
 * digits), after one trailing dot: such a name is an IPv4 address to every
 * browser (WHATWG URL "ends in a number"), and must parse as one. */
gboolean   gn_domain_ends_in_number    (const char *name,
                                        gsize       len);

/* @address with an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address
 * turned into its IPv4 address (the rules above), as a new reference. For
 * comparing socket addresses, e.g. the self-loop check against a resolved
 * name. */
GInetAddress *gn_domain_canonical_inet_address (GInetAddress *address);
/* Whether @address (nullable; any GSocketAddress) is a loopback address in
 * its canonical form: ::ffff:127.0.0.1 on a dual-stack listener counts. */
gboolean      gn_domain_is_loopback_socket_address (GSocketAddress *address);

G_END_DECLS
