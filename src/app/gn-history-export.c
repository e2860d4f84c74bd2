/* gn-history-export.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The text of a history export (see gn_history_store_export()): the
 * per-minute series of the last 24 hours, the per-hour series of the
 * retention and the blocked domains per day, as CSV (one table, a
 * "series" column tells the rows apart) or JSON (json-glib's generator).
 *
 * Threading: any thread (the store's writer calls it); no shared state.
 */

#include <string.h>

#include <json-glib/json-glib.h>

#include "gn-history-store-private.h"

static char *
iso_utc (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_s);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void
append_csv_field (GString    *out,
                  const char *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

static void
csv_series (GString    *out,
            const char *series,
            GnHistory  *h)
{
  for (guint i = 0; i < h->points->len; i++)
    {
      const GnHistoryPoint *p = &g_array_index (h->points, GnHistoryPoint, i);
      g_autofree char *start = iso_utc (p->start);

      g_string_append_printf (out, "%s,%s,,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                              ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "\r\n",
                              series, start, p->requests, p->blocked, p->bytes_up, p->bytes_down);
    }
}

static char *
to_csv (GnHistory *minutes,
        GnHistory *hours,
        gsize     *length)
{
  GString *out = g_string_new ("series,start,domain,requests,blocked,bytes_up,bytes_down\r\n");

  csv_series (out, "minute", minutes);
  csv_series (out, "hour", hours);
  for (guint i = 0; i < hours->domains->len; i++)
    {
      const GnHistoryDomain *d = g_ptr_array_index (hours->domains, i);

      g_string_append_printf (out, "domain,%s,", d->day);
      append_csv_field (out, d->domain);
      g_string_append_printf (out, ",,%" G_GUINT64_FORMAT ",,\r\n", d->blocked);
    }
  *length = out->len;
  return g_string_free (out, FALSE);
}

static void
json_series (JsonBuilder *b,
             const char  *member,
             GnHistory   *h)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < h->points->len; i++)
    {
      const GnHistoryPoint *p = &g_array_index (h->points, GnHistoryPoint, i);
      g_autofree char *start = iso_utc (p->start);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "start");
      json_builder_add_string_value (b, start);
      json_builder_set_member_name (b, "requests");
      json_builder_add_int_value (b, (gint64) p->requests);
      json_builder_set_member_name (b, "blocked");
      json_builder_add_int_value (b, (gint64) p->blocked);
      json_builder_set_member_name (b, "bytes_up");
      json_builder_add_int_value (b, (gint64) p->bytes_up);
      json_builder_set_member_name (b, "bytes_down");
      json_builder_add_int_value (b, (gint64) p->bytes_down);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static char *
to_json (GnHistory *minutes,
         GnHistory *hours,
         gint64     now_s,
         gsize     *length)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *generated = iso_utc (now_s);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "generated");
  json_builder_add_string_value (b, generated);
  json_series (b, "minutes", minutes);
  json_series (b, "hours", hours);
  json_builder_set_member_name (b, "blocked_domains");
  json_builder_begin_array (b);
  for (guint i = 0; i < hours->domains->len; i++)
    {
      const GnHistoryDomain *d = g_ptr_array_index (hours->domains, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "day");
      json_builder_add_string_value (b, d->day);
      json_builder_set_member_name (b, "domain");
      json_builder_add_string_value (b, d->domain);
      json_builder_set_member_name (b, "blocked");
      json_builder_add_int_value (b, (gint64) d->blocked);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, length);
}

char *
_gn_history_export_text (GnHistory       *minutes,
                         GnHistory       *hours,
                         GnHistoryFormat  format,
                         gint64           now_s,
                         gsize           *length)
{
  if (format == GN_HISTORY_FORMAT_JSON)
    return to_json (minutes, hours, now_s, length);
  return to_csv (minutes, hours, length);
}
