/* gn-updater.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One list download: conditional GET (If-None-Match / If-Modified-Since
 * from the cached copy), a streamed body read in 64 KiB steps against the
 * size cap with progress reported on the source, then a worker that parses
 * the body (rejecting binary or non-list data), applies the shrink rule and
 * writes the cache file atomically (write to a temporary file, then rename).
 *
 * Threading: started on the owner thread, callbacks on its main context.
 * The SoupMessage and its body stream belong to that thread: the validators
 * (ETag, Last-Modified) are copied out of the message there, and both are
 * dropped there before the worker starts, so the worker touches only plain
 * data of its own (the body, the copied strings, the limits).
 */

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>

#include "gn-blocklist-builder.h"
#include "gn-error.h"
#include "gn-file.h"
#include "gn-updater.h"

#define READ_STEP (64 * 1024)

typedef struct
{
  GnBlocklistSource *source;        /* (owned) */
  SoupMessage       *msg;           /* (owned) (nullable): owner thread only */
  GInputStream      *stream;        /* (owned) (nullable): owner thread only */
  GByteArray        *body;          /* (owned) */
  char              *cache_path;    /* (owned) */
  char              *list_name;     /* (owned) */
  char              *etag;          /* (owned) (nullable): copied from the response */
  char              *last_modified; /* (owned) (nullable): copied from the response */
  GnBlocklistFormat  format;
  guint64            max_bytes;
  double             max_shrink;
  guint64            prev_entries;
} Fetch;

static void
fetch_free (Fetch *f)
{
  g_clear_object (&f->source);
  g_clear_object (&f->msg);
  g_clear_object (&f->stream);
  g_clear_pointer (&f->body, g_byte_array_unref);
  g_clear_pointer (&f->cache_path, g_free);
  g_clear_pointer (&f->list_name, g_free);
  g_clear_pointer (&f->etag, g_free);
  g_clear_pointer (&f->last_modified, g_free);
  g_free (f);
}

void
gn_update_result_free (GnUpdateResult *result)
{
  if (result == NULL)
    return;
  g_free (result->etag);
  g_free (result->last_modified);
  g_free (result);
}

SoupSession *
gn_updater_new_session (guint       timeout_seconds,
                        const char *upstream_uri)
{
  /* No default proxy: direct. */
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (upstream_uri, NULL);

  return soup_session_new_with_options ("proxy-resolver", resolver,
                                        "timeout", timeout_seconds,
                                        "idle-timeout", 60,
                                        "user-agent", "GuardNest/" GN_VERSION " ",
                                        NULL);
}

static char *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

/* Owner thread: everything the result needs from the response, copied. */
static void
copy_validators (Fetch *f)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (f->msg);

  g_free (f->etag);
  f->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  g_free (f->last_modified);
  f->last_modified = g_strdup (soup_message_headers_get_one (headers, "Last-Modified"));
}

/* Any thread: reads only the copies in @f. */
static GnUpdateResult *
result_from_fetch (const Fetch *f)
{
  GnUpdateResult *r = g_new0 (GnUpdateResult, 1);

  r->etag = g_strdup (f->etag);
  r->last_modified = g_strdup (f->last_modified);
  return r;
}

static void
validate_and_store (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Fetch *f = task_data;
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GError) error = NULL;
  GnBlocklistReport report;
  GnUpdateResult *r;

  if (!gn_blocklist_builder_add_data (builder, f->list_name, (const char *) f->body->data,
                                      f->body->len, f->format, &report, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (report.accepted == 0)
    {
      g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_DATA,
                               _("The downloaded list has no entries"));
      return;
    }

  if (f->prev_entries > 0 && report.accepted < (guint64) (f->prev_entries * (1.0 - f->max_shrink)))
    {
      g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_DATA,
                               _("The new version has %llu entries, %.0f %% fewer than the "
                                 "%llu before (more than the %.0f %% allowed)"),
                               (unsigned long long) report.accepted,
                               100.0 * (1.0 - (double) report.accepted / f->prev_entries),
                               (unsigned long long) f->prev_entries, 100.0 * f->max_shrink);
      return;
    }

  {
    g_autofree char *dir = g_path_get_dirname (f->cache_path);

    if (g_mkdir_with_parents (dir, 0700) != 0 ||
        !gn_file_set_contents (f->cache_path, (const char *) f->body->data, f->body->len,
                               G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
      {
        g_task_return_new_error (task, GN_ERROR, GN_ERROR_IO,
                                 _("Could not save the list in %s: %s"), dir,
                                 error ? error->message : g_strerror (errno));
        return;
      }
  }

  r = result_from_fetch (f);
  r->entries = report.accepted;
  r->size = f->body->len;
  g_task_return_pointer (task, r, (GDestroyNotify) gn_update_result_free);
}

static void read_next (GTask *task);

static void
on_read (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (bytes == NULL)
    {
      g_task_return_new_error (task, GN_ERROR, GN_ERROR_NETWORK,
                               _("The download broke off after %u bytes: %s"),
                               f->body->len, error->message);
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      if (f->body->len == 0)
        {
          g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_DATA,
                                   _("The server sent an empty list"));
          return;
        }
      /* the worker gets plain data only: the message and its stream are
       * released here, on the thread that owns them */
      g_clear_object (&f->stream);
      g_clear_object (&f->msg);
      g_task_run_in_thread (task, validate_and_store);
      return;
    }

  if (f->body->len + g_bytes_get_size (bytes) > f->max_bytes)
    {
      g_autofree char *cap = format_size (f->max_bytes);

      g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_DATA,
                               _("The list is larger than the %s limit"), cap);
      return;
    }

  g_byte_array_append (f->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  gn_blocklist_source_set_bytes_received (f->source, f->body->len);
  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (f->stream, READ_STEP, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

static void
on_sent (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;
  goffset length;

  f->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (f->stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, GN_ERROR, GN_ERROR_NETWORK,
                                 _("Could not download the list: %s"), error->message);
      return;
    }

  status = soup_message_get_status (f->msg);
  copy_validators (f);
  if (status == SOUP_STATUS_NOT_MODIFIED)
    {
      GnUpdateResult *r = result_from_fetch (f);

      r->not_modified = TRUE;
      g_task_return_pointer (task, r, (GDestroyNotify) gn_update_result_free);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *reason = soup_message_get_reason_phrase (f->msg);

      g_task_return_new_error (task, GN_ERROR, GN_ERROR_NETWORK, "HTTP %u%s%s%s", status,
                               reason && *reason ? " (" : "", reason ? reason : "",
                               reason && *reason ? ")" : "");
      return;
    }

  length = soup_message_headers_get_content_length (soup_message_get_response_headers (f->msg));
  if (length > 0 && (guint64) length > f->max_bytes)
    {
      g_autofree char *cap = format_size (f->max_bytes);
      g_autofree char *size = format_size (length);

      g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_DATA,
                               _("The list is %s, larger than the %s limit"), size, cap);
      return;
    }

  read_next (g_steal_pointer (&task));
}

void
gn_updater_fetch_async (SoupSession         *session,
                        GnBlocklistSource   *source,
                        const char          *cache_path,
                        guint64              max_bytes,
                        double               max_shrink,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  Fetch *f;

  g_return_if_fail (SOUP_IS_SESSION (session));
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (source));
  g_return_if_fail (cache_path != NULL);

  task = g_task_new (source, cancellable, callback, user_data);
  g_task_set_source_tag (task, gn_updater_fetch_async);

  uri = g_uri_parse (gn_blocklist_source_get_url (source) ? gn_blocklist_source_get_url (source) : "",
                     SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_task_return_new_error (task, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                               _("“%s” is not an http or https address"),
                               gn_blocklist_source_get_url (source));
      return;
    }

  f = g_new0 (Fetch, 1);
  f->source = g_object_ref (source);
  f->msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  f->body = g_byte_array_new ();
  f->cache_path = g_strdup (cache_path);
  f->list_name = g_strdup (gn_blocklist_source_get_name (source));
  f->format = gn_blocklist_source_get_format (source);
  f->max_bytes = max_bytes;
  f->max_shrink = CLAMP (max_shrink, 0.0, 1.0);
  g_task_set_task_data (task, f, (GDestroyNotify) fetch_free);

  /* validators and the shrink rule only make sense with a cached copy */
  headers = soup_message_get_request_headers (f->msg);
  if (g_file_test (cache_path, G_FILE_TEST_IS_REGULAR))
    {
      f->prev_entries = gn_blocklist_source_get_entries (source);
      if (gn_blocklist_source_get_etag (source) != NULL)
        soup_message_headers_replace (headers, "If-None-Match", gn_blocklist_source_get_etag (source));
      if (gn_blocklist_source_get_last_modified (source) != NULL)
        soup_message_headers_replace (headers, "If-Modified-Since",
                                      gn_blocklist_source_get_last_modified (source));
    }

  gn_blocklist_source_set_bytes_received (source, 0);
  soup_session_send_async (session, f->msg, G_PRIORITY_DEFAULT, cancellable, on_sent,
                           g_steal_pointer (&task));
}

GnUpdateResult *
gn_updater_fetch_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gn_updater_fetch_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
