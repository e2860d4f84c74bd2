/* gn-domain.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Host-name normalisation and hashing, shared by parsers and lookups. The
 * fast path (plain ASCII names, which is every entry of every real list) does
 * no allocation; only IDN names and IP literals go through GLib's slower
 * helpers. Pure functions: any thread.
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

static GnNameKind
normalize_ip (const char *in,
              gsize       len,
              char       *out,
              gsize      *out_len)
{
  g_autofree char *copy = g_strndup (in, len);
  g_autoptr(GInetAddress) addr = NULL;
  g_autofree char *text = NULL;
  char *percent;

  /* Drop an IPv6 zone ("fe80::1%eth0"): it never names a remote host. */
  if ((percent = strchr (copy, '%')) != NULL)
    *percent = '\0';

  addr = g_inet_address_new_from_string (copy);
  if (addr == NULL)
    return GN_NAME_INVALID;

  text = g_inet_address_to_string (addr);
  *out_len = strlen (text);
  if (*out_len > GN_DOMAIN_MAX)
    return GN_NAME_INVALID;
  memcpy (out, text, *out_len + 1);
  return GN_NAME_IP;
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
  gboolean all_digits = TRUE;

  g_return_val_if_fail (in != NULL, GN_NAME_INVALID);
  g_return_val_if_fail (out != NULL, GN_NAME_INVALID);
  g_return_val_if_fail (out_len != NULL, GN_NAME_INVALID);

  *out_len = 0;
  out[0] = '\0';

  /* "[::1]" as it appears in URLs and CONNECT lines */
  if (len >= 2 && in[0] == '[' && in[len - 1] == ']')
    return normalize_ip (in + 1, len - 2, out, out_len);

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
          all_digits &= (m >= '0' && m <= '9');
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

  if (all_digits && n_labels == 4)
    return g_hostname_is_ip_address (out) ? GN_NAME_IP : GN_NAME_INVALID;

  return n_labels >= 2 ? GN_NAME_DOMAIN : GN_NAME_SINGLE_LABEL;
}
