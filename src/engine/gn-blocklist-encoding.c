/* gn-blocklist-encoding.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which text encoding a blocklist file is in (see gn-blocklist-encoding.h):
 * a byte order mark, or UTF-16 without one guessed from its zero bytes.
 * The parser converts UTF-16 to UTF-8 before it reads lines.
 *
 * Threading: pure functions, any thread.
 */

#include "gn-blocklist-encoding.h"


/* The encoding a byte order mark at the start of @data announces (UTF-8
 * without one), and the mark's length in @bom_len. */
GnTextEncoding
gn_text_sniff_bom (const char *data,
                   gsize       len,
                   gsize      *bom_len)
{
  const guchar *u = (const guchar *) data;

  *bom_len = 0;
  if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
    *bom_len = 3;
  else if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
    {
      *bom_len = 2;
      return GN_TEXT_UTF16LE;
    }
  else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
    {
      *bom_len = 2;
      return GN_TEXT_UTF16BE;
    }
  return GN_TEXT_UTF8;
}

const char *
gn_text_utf16_charset (GnTextEncoding encoding)
{
  return encoding == GN_TEXT_UTF16BE ? "UTF-16BE" : "UTF-16LE";
}

/* Whether the start of a file without a byte order mark is UTF-16 text:
 * mostly ASCII, so every other byte is a zero ("a\0b\0" little-endian). */
gboolean
gn_text_looks_like_utf16 (const char *data,
                          gsize       len)
{
  gsize n = MIN (len, 1024) & ~(gsize) 1;
  gsize pairs = n / 2, zero_even = 0, zero_odd = 0;

  if (pairs < 2)
    return FALSE;
  for (gsize i = 0; i < n; i += 2)
    {
      zero_even += data[i] == '\0';
      zero_odd += data[i + 1] == '\0';
    }
  return (zero_odd * 10 >= pairs * 7 && zero_even * 10 < pairs) ||
         (zero_even * 10 >= pairs * 7 && zero_odd * 10 < pairs);
}
