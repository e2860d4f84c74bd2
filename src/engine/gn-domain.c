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

static gboolean
looks_like_ipv4 (const char *s,
                 gsize       len)
{
  guint dots = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '.')
        dots++;
      else if (!g_ascii_isdigit (s[i]))
        return FALSE;
    }

  return dots == 3;
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
    return normalize_ip (in + 1, len - 2, out, out_len);

  if (len > 0 && in[len - 1] == '.')
    len--;
  if (len == 0 || len > GN_DOMAIN_MAX * 4)
    return GN_NAME_INVALID;

  if (memchr (in, ':', len) != NULL)
    return normalize_ip (in, len, out, out_len);

  for (gsize i = 0; i < len; i++)
    {
      if ((guchar) in[i] >= 0x80)
        {
          g_autofree char *copy = g_strndup (in, len);
          g_autofree char *ascii = NULL;

          if (!g_utf8_validate (copy, -1, NULL))
            return GN_NAME_INVALID;
          ascii = g_hostname_to_ascii (copy);
          if (ascii == NULL || strlen (ascii) == 0)
            return GN_NAME_INVALID;
          for (const char *p = ascii; *p; p++)
            if ((guchar) *p >= 0x80)
              return GN_NAME_INVALID;
          return gn_domain_normalize (ascii, strlen (ascii), out, out_len);
        }
    }

  if (len > GN_DOMAIN_MAX)
    return GN_NAME_INVALID;

  for (gsize i = 0; i < len; i++)
    {
      char c = in[i];

      if (c == '.')
        {
          if (label_len == 0)
            return GN_NAME_INVALID;
          label_len = 0;
          n_labels++;
          out[i] = c;
          continue;
        }

      if (c >= 'A' && c <= 'Z')
        c = c - 'A' + 'a';
      else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return GN_NAME_INVALID;

      if (++label_len > 63)
        return GN_NAME_INVALID;
      out[i] = c;
    }

  if (label_len == 0)
    return GN_NAME_INVALID;

  out[len] = '\0';
  *out_len = len;

  if (looks_like_ipv4 (out, len))
    return g_hostname_is_ip_address (out) ? GN_NAME_IP : GN_NAME_INVALID;

  return n_labels >= 2 ? GN_NAME_DOMAIN : GN_NAME_SINGLE_LABEL;
}
