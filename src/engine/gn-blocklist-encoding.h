/* gn-blocklist-encoding.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to the blocklist parser: the text encoding of a list file.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GN_TEXT_UTF8,
  GN_TEXT_UTF16LE,
  GN_TEXT_UTF16BE,
} GnTextEncoding;

/* The encoding a byte order mark at the start of @data announces (UTF-8
 * without one), and the mark's length in @bom_len. */
GnTextEncoding gn_text_sniff_bom        (const char     *data,
                                         gsize           len,
                                         gsize          *bom_len);
/* "UTF-16LE" or "UTF-16BE", for g_convert() and GCharsetConverter. */
const char    *gn_text_utf16_charset    (GnTextEncoding  encoding);
/* Whether the start of a file without a byte order mark is UTF-16 text. */
gboolean       gn_text_looks_like_utf16 (const char     *data,
                                         gsize           len);

G_END_DECLS
