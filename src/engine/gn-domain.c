/* gn-domain.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Host-name normalisation and hashing, shared by parsers and lookups. The
 * fast path (plain ASCII names, which is every entry of every real list) does
 * no allocation; only IDN names and IPv6 literals go through GLib's slower
 * helpers.
 *
 * Addresses have exactly one spelling here (gn_domain_canonical_address()):
 * a decision that compared address text would let "[::ffff:127.0.0.1]" or
 * "2130706433" through a rule for "127.0.0.1", while the resolver dials the
 * very same host. Pure functions: any thread.
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-domain.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static inline guint64
mix64 (guint64 h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

guint64
gn_domain_hash (const char *name,
                gsize       len)
{
  guint64 h = FNV_OFFSET;

  for (gsize i = len; i > 0; i--)
    h = (h ^ (guchar) name[i - 1]) * FNV_PRIME;

  return mix64 (h);
}

guint
gn_domain_hash_suffixes (const char *name,
                         gsize       len,
                         guint       min_labels,
                         guint16    *offsets,
                         guint64    *hashes,
                         guint       max)
{
  guint64 h = FNV_OFFSET;
  guint n_labels = 0;
  guint n = 0;

  /* Walk from the end; each time a label is complete, the running hash is
   * the hash of the suffix that starts there. Collected least specific
   * first, then reversed below. */
  for (gsize i = len; i > 0; i--)
    {
      h = (h ^ (guchar) name[i - 1]) * FNV_PRIME;

      if (i == 1 || name[i - 2] == '.')
        {
          n_labels++;
          if (n_labels >= min_labels && n < max)
            {
              offsets[n] = (guint16) (i - 1);
              hashes[n] = mix64 (h);
              n++;
            }
        }
    }

  for (guint a = 0, b = n > 0 ? n - 1 : 0; a < b; a++, b--)
    {
      guint16 to = offsets[a];
      guint64 th = hashes[a];

      offsets[a] = offsets[b];
      hashes[a] = hashes[b];
      offsets[b] = to;
      hashes[b] = th;
    }

  return n;
}

/* ---- addresses ------------------------------------------------------------ */

gboolean
gn_domain_parse_ipv4 (const char *s,
                      gsize       len,
                      guint32    *address)
{
  guint32 parts[4];
  guint n = 0;
  gsize i = 0;

  g_return_val_if_fail (s != NULL || len == 0, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  /* inet_aton(): 1 to 4 parts separated by dots, each decimal, octal after
   * a leading 0 or hex after 0x ("0x" alone is 0, as glibc and WHATWG say) */
  while (TRUE)
    {
      guint64 value = 0;
      guint base = 10;

      if (i >= len || !g_ascii_isdigit (s[i]) || n == 4)
        return FALSE;
      if (s[i] == '0')
        {
          i++;
          base = 8;
          if (i < len && (s[i] == 'x' || s[i] == 'X'))
            {
              base = 16;
              i++;
            }
        }
      for (; i < len && s[i] != '.'; i++)
        {
          int digit = g_ascii_xdigit_value (s[i]);

          if (digit < 0 || (guint) digit >= base)
            return FALSE;
          value = value * base + digit;
          if (value > G_MAXUINT32)
            return FALSE;
        }
      parts[n++] = (guint32) value;
      if (i == len)
        break;
      i++;  /* the dot; an empty part after it fails above */
    }

  /* all but the last part are one byte; the last fills what is left */
  for (guint k = 0; k + 1 < n; k++)
    if (parts[k] > 0xff)
      return FALSE;
  if (n < 4 && parts[n - 1] > (G_MAXUINT32 >> (8 * (n - 1))))
    return FALSE;
  if (n == 4 && parts[3] > 0xff)
    return FALSE;

  *address = parts[n - 1];
  for (guint k = 0; k + 1 < n; k++)
    *address |= parts[k] << (24 - 8 * k);
  return TRUE;
}

gboolean
gn_domain_ends_in_number (const char *name,
                          gsize       len)
{
  gsize start;

  if (len > 0 && name[len - 1] == '.')
    len--;
  start = len;
  while (start > 0 && name[start - 1] != '.')
    start--;
  if (start == len)
    return FALSE;

  if (len - start >= 2 && name[start] == '0' && (name[start + 1] == 'x' || name[start + 1] == 'X'))
    {
      for (gsize i = start + 2; i < len; i++)
        if (!g_ascii_isxdigit (name[i]))
          return FALSE;
      return TRUE;
    }
  for (gsize i = start; i < len; i++)
    if (!g_ascii_isdigit (name[i]))
      return FALSE;
  return TRUE;
}

static gsize
format_ipv4 (guint32 a,
             char    out[GN_ADDRESS_MAX])
{
  return g_snprintf (out, GN_ADDRESS_MAX, "%u.%u.%u.%u",
                     a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* RFC 5952 text of an IPv6 address: lower-case hex without leading zeros,
 * the longest run of two or more zero groups (the first of equal runs)
 * as "::", never a dotted quad. Written here rather than taken from
 * g_inet_address_to_string(), which asks the OS: Windows writes
 * ::ffff:0:7f00:1 as "::ffff:0:127.0.0.1", glibc as "::ffff:0:7f00:1", and a
 * canonical form must be the same on every system. */
static gsize
format_ipv6 (const guint8 *b,
             char          out[GN_ADDRESS_MAX])
{
  guint16 g[8];
  int best = -1, best_len = 0;
  gsize n = 0;

  for (int i = 0; i < 8; i++)
    g[i] = (guint16) ((b[2 * i] << 8) | b[2 * i + 1]);
  for (int i = 0; i < 8;)
    {
      int j = i;

      while (j < 8 && g[j] == 0)
        j++;
      if (j - i > best_len && j - i >= 2)
        {
          best = i;
          best_len = j - i;
        }
      i = j > i ? j : i + 1;
    }
  for (int i = 0; i < 8; i++)
    {
      if (i == best)
        {
          n += g_snprintf (out + n, GN_ADDRESS_MAX - n, "::");
          i += best_len - 1;
          continue;
        }
      n += g_snprintf (out + n, GN_ADDRESS_MAX - n, "%s%x",
                       i > 0 && i != best + best_len ? ":" : "", g[i]);
    }
  return n;
}

/* The dotted tail of an IPv6 literal ("::ffff:1.2.3.4") in the strict
 * form RFC 4291 allows: four decimal octets, no leading zeros. Checked
 * here because the OS parser differs: glibc refuses "127.0.0.01" there,
 * Windows' accepts it. Literals without a dot pass. */
static gboolean
ipv6_dotted_tail_ok (const char *text)
{
  const char *p = strrchr (text, ':');
  guint octets = 0;

  if (strchr (text, '.') == NULL)
    return TRUE;
  if (p == NULL)
    return FALSE;
  for (p++; ; p++)
    {
      const char *start = p;
      guint value = 0;

      for (; g_ascii_isdigit (*p) && p - start < 4; p++)
        value = value * 10 + (guint) (*p - '0');
      if (p == start || p - start > 3 || value > 255 || (p - start > 1 && *start == '0'))
        return FALSE;
      octets++;
      if (*p != '.')
        return *p == '\0' && octets == 4;
    }
}

/* The IPv4 address an IPv6 address reaches, if any (see gn-domain.h). */
static gboolean
ipv6_embedded_ipv4 (const guint8 *b,
                    guint32      *v4)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 compat[12] = { 0 };
  static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

  *v4 = ((guint32) b[12] << 24) | ((guint32) b[13] << 16) | ((guint32) b[14] << 8) | b[15];
  if (memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
    return TRUE;
  /* "::" and "::1" are IPv6's own unspecified and loopback addresses */
  return memcmp (b, compat, 12) == 0 && *v4 > 1;
}

gsize
gn_domain_canonical_address (const char *host,
                             gssize      len,
                             char        out[GN_ADDRESS_MAX])
{
  char copy[64];
  g_autoptr(GInetAddress) addr = NULL;
  const guint8 *bytes;
  guint32 v4;
  char *percent;

  g_return_val_if_fail (host != NULL, 0);
  g_return_val_if_fail (out != NULL, 0);

  /* @out may be @host itself (gn_domain_normalize() does that): it is
   * written only once the input has been read. */
  if (len < 0)
    len = strlen (host);

  /* "[::1]" as it appears in URLs and CONNECT lines */
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    {
      host++;
      len -= 2;
    }
  if (len == 0 || (gsize) len >= sizeof copy)
    goto not_an_address;

  if (memchr (host, ':', len) == NULL)
    {
      if (host[len - 1] == '.')
        len--;
      if (!gn_domain_parse_ipv4 (host, len, &v4))
        goto not_an_address;
      return format_ipv4 (v4, out);
    }

  memcpy (copy, host, len);
  copy[len] = '\0';
  /* Drop an IPv6 zone ("fe80::1%eth0"): it never names a remote host. */
  if ((percent = strchr (copy, '%')) != NULL)
    *percent = '\0';

  if (!ipv6_dotted_tail_ok (copy))
    goto not_an_address;
  addr = g_inet_address_new_from_string (copy);
  if (addr == NULL || g_inet_address_get_family (addr) != G_SOCKET_FAMILY_IPV6)
    goto not_an_address;

  bytes = g_inet_address_to_bytes (addr);
  if (ipv6_embedded_ipv4 (bytes, &v4))
    return format_ipv4 (v4, out);

  return format_ipv6 (bytes, out);

not_an_address:
  out[0] = '\0';
  return 0;
}

GInetAddress *
gn_domain_canonical_inet_address (GInetAddress *address)
{
  guint32 v4;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), NULL);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
      ipv6_embedded_ipv4 (g_inet_address_to_bytes (address), &v4))
    {
      guint8 b[4] = { v4 >> 24, (v4 >> 16) & 0xff, (v4 >> 8) & 0xff, v4 & 0xff };

      return g_inet_address_new_from_bytes (b, G_SOCKET_FAMILY_IPV4);
    }
  return g_object_ref (address);
}

gboolean
gn_domain_is_loopback_socket_address (GSocketAddress *address)
{
  g_autoptr(GInetAddress) canonical = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  canonical = gn_domain_canonical_inet_address (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return g_inet_address_get_is_loopback (canonical);
}

static GnNameKind
normalize_ip (const char *in,
              gsize       len,
              char       *out,
              gsize      *out_len)
{
  *out_len = gn_domain_canonical_address (in, len, out);
  return *out_len > 0 ? GN_NAME_IP : GN_NAME_INVALID;
}

/* 0: not allowed, '.': separator, else the lower-case character */
static const char name_chars[256] = {
  ['-'] = '-', ['_'] = '_', ['.'] = '.',
  ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
  ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
  ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
  ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
  ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
  ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
  ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
  ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
  ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
  ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

static GnNameKind
normalize_idn (const char *in,
               gsize       len,
               char       *out,
               gsize      *out_len)
{
  g_autofree char *copy = g_strndup (in, len);
  g_autofree char *ascii = NULL;

  if (!g_utf8_validate (copy, -1, NULL))
    return GN_NAME_INVALID;
  ascii = g_hostname_to_ascii (copy);
  if (ascii == NULL || *ascii == '\0')
    return GN_NAME_INVALID;
  for (const char *p = ascii; *p; p++)
    if ((guchar) *p >= 0x80)
      return GN_NAME_INVALID;
  return gn_domain_normalize (ascii, strlen (ascii), out, out_len);
}

GnNameKind
gn_domain_normalize (const char *in,
                     gsize       len,
                     char       *out,
                     gsize      *out_len)
{
  gsize label_len = 0;
  guint n_labels = 1;

  g_return_val_if_fail (in != NULL, GN_NAME_INVALID);
  g_return_val_if_fail (out != NULL, GN_NAME_INVALID);
  g_return_val_if_fail (out_len != NULL, GN_NAME_INVALID);

  *out_len = 0;
  out[0] = '\0';

  /* "[::1]" as it appears in URLs and CONNECT lines */
  if (len >= 2 && in[0] == '[' && in[len - 1] == ']')
    return normalize_ip (in, len, out, out_len);

  if (len > 0 && in[len - 1] == '.')
    len--;
  if (len == 0 || len > GN_DOMAIN_MAX * 4)
    return GN_NAME_INVALID;

  /* one pass: lower-case, validate, count labels; anything unusual (IPv6,
   * IDN) leaves for the slow paths */
  for (gsize i = 0; i < len; i++)
    {
      guchar c = in[i];
      char m = name_chars[c];

      if (G_UNLIKELY (m == 0))
        {
          if (c == ':')
            return normalize_ip (in, len, out, out_len);
          if (c >= 0x80)
            return normalize_idn (in, len, out, out_len);
          return GN_NAME_INVALID;
        }

      if (m == '.')
        {
          if (label_len == 0)
            return GN_NAME_INVALID;
          label_len = 0;
          n_labels++;
        }
      else
        {
          if (++label_len > 63)
            return GN_NAME_INVALID;
        }

      if (G_UNLIKELY (i >= GN_DOMAIN_MAX))
        return GN_NAME_INVALID;
      out[i] = m;
    }

  if (label_len == 0)
    return GN_NAME_INVALID;

  out[len] = '\0';
  *out_len = len;

  /* A numeric last label makes the whole name an IPv4 address in some
   * spelling ("127.1", "0x7f000001"), or nothing a browser would open. */
  if (gn_domain_ends_in_number (out, len))
    return normalize_ip (out, len, out, out_len);

  return n_labels >= 2 ? GN_NAME_DOMAIN : GN_NAME_SINGLE_LABEL;
}
