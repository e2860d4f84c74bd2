/* gn-blocklist-parser.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list formats people subscribe to, their detection, and the report
 * each parse produces (entries accepted, duplicates, lines skipped and why).
 * Parsing itself feeds a GnBlocklistBuilder (gn-blocklist-builder.h).
 *
 * Threading: pure functions and caller-owned structs; any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GN_BLOCKLIST_FORMAT_AUTO,      /* detect from the first lines */
  GN_BLOCKLIST_FORMAT_HOSTS,     /* "0.0.0.0 example.com" */
  GN_BLOCKLIST_FORMAT_DOMAINS,   /* "example.com" */
  GN_BLOCKLIST_FORMAT_ADBLOCK,   /* "||example.com^", "@@||example.com^" */
  GN_BLOCKLIST_FORMAT_WILDCARD,  /* "*.example.com" */
} GnBlocklistFormat;

typedef enum
{
  GN_SKIP_MALFORMED,     /* not a rule of this format */
  GN_SKIP_INVALID_NAME,  /* not a valid host name */
  GN_SKIP_LOCAL_NAME,    /* localhost, broadcasthost, 0.0.0.0 … in hosts files */
  GN_SKIP_NOT_A_DOMAIN,  /* a single label such as "com" */
  GN_SKIP_OPTIONS,       /* Adblock rule with $options */
  GN_SKIP_PATH,          /* Adblock rule with a path or URL pattern */
  GN_SKIP_WILDCARD,      /* a wildcard we cannot honour ("ads*.example.com") */
  GN_SKIP_COSMETIC,      /* element hiding ("##.ad") */
  GN_SKIP_TOO_LONG,      /* a line over 4 KiB */
  GN_SKIP_N_REASONS /*< skip >*/
} GnSkipReason;

typedef struct
{
  GnBlocklistFormat format;      /* the format used (detected when AUTO) */
  guint64 lines;                 /* every line, blank and comment included */
  guint64 comments;              /* comments, headers and blank lines */
  guint64 accepted;              /* rules taken (block + allow) */
  guint64 allow_rules;           /* of which allow rules */
  guint64 duplicates;            /* repeated inside this list */
  guint64 skipped[GN_SKIP_N_REASONS];
} GnBlocklistReport;

const char        *gn_blocklist_format_to_string   (GnBlocklistFormat format);
/* Returns FALSE for an unknown name. */
gboolean           gn_blocklist_format_from_string (const char        *str,
                                                    GnBlocklistFormat *format);
/* Looks at the first lines (at most 64 KiB) of @data. Never returns AUTO. */
GnBlocklistFormat  gn_blocklist_format_detect      (const char        *data,
                                                    gsize              len);

const char        *gn_skip_reason_to_string        (GnSkipReason       reason);
guint64            gn_blocklist_report_get_skipped (const GnBlocklistReport *report);
/* "12974 entries (hosts), 3 duplicates, 2 skipped: 2 local name" */
char              *gn_blocklist_report_to_string   (const GnBlocklistReport *report);

G_END_DECLS
