/* gn-history-writer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The history store's writer thread (see gn-history-store.c for the file
 * format): appends each flushed batch to its day's file and fdatasyncs it,
 * reads day files (skipping a torn last line, warning once about damaged
 * lines), keeps every day it has read in memory, deletes days past the
 * retention, compacts finished days, and answers queries and exports.
 *
 * Threading: everything here runs on the store's one pool thread, in the
 * order the jobs were queued; it talks back through GTask (async jobs),
 * a Waiter (sync jobs) or _gn_history_writer_notify().
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#ifdef G_OS_WIN32
# include <io.h>
#else
# include <unistd.h>
#endif

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gn-error.h"
#include "gn-file.h"
#include "gn-history-store-private.h"

#ifndef O_BINARY
# define O_BINARY 0
#endif

/* A day of 2-second increments is a few MiB; past this the file is not
 * ours (or is damaged beyond use) and is left alone. */
#define MAX_DAY_FILE_BYTES (256 * 1024 * 1024)
#define MAX_QUERY_DAYS     (GN_HISTORY_MAX_RETENTION + 2)

Job *
_gn_history_job_new (JobKind kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  return job;
}

void
_gn_history_job_free (Job *job)
{
  g_clear_pointer (&job->days, g_hash_table_unref);
  g_free (job->today);
  g_free (job->cutoff);
  g_free (job->path);
  g_clear_object (&job->task);
  g_clear_pointer (&job->result, gn_history_unref);
  g_clear_error (&job->error);
  g_free (job);
}

Writer *
_gn_history_writer_new (const char *dir,
                        GObject    *self)
{
  Writer *w = g_new0 (Writer, 1);

  g_atomic_ref_count_init (&w->ref_count);
  w->dir = g_strdup (dir);
  g_weak_ref_init (&w->self, self);
  w->owner_context = g_main_context_ref_thread_default ();
  g_mutex_init (&w->mutex);
  w->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) _gn_history_day_free);
  w->tail_checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return w;
}

Writer *
_gn_history_writer_ref (Writer *w)
{
  g_atomic_ref_count_inc (&w->ref_count);
  return w;
}

void
_gn_history_writer_unref (Writer *w)
{
  if (w == NULL || !g_atomic_ref_count_dec (&w->ref_count))
    return;
  g_free (w->dir);
  g_weak_ref_clear (&w->self);
  g_main_context_unref (w->owner_context);
  g_mutex_clear (&w->mutex);
  g_clear_error (&w->error);
  g_hash_table_unref (w->cache);
  g_hash_table_unref (w->tail_checked);
  g_free (w);
}

static char *
day_path (Writer     *w,
          const char *name)
{
  g_autofree char *file = g_strconcat (name, ".jsonl", NULL);

  return g_build_filename (w->dir, file, NULL);
}

/* ---- reading ---- */

static gboolean
get_count (JsonObject *o,
           const char *member,
           guint64    *out)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL)
    {
      *out = 0;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_line (JsonParser *parser,
            const char *line,
            gssize      length,
            Day        *day)
{
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, line, length, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  o = json_node_get_object (root);

  if (json_object_has_member (o, "m"))
    {
      guint64 minute, v[N_FIELDS];

      if (!get_count (o, "m", &minute) || minute > G_MAXINT64 / 60 ||
          !get_count (o, "r", &v[F_REQUESTS]) || !get_count (o, "b", &v[F_BLOCKED]) ||
          !get_count (o, "u", &v[F_BYTES_UP]) || !get_count (o, "d", &v[F_BYTES_DOWN]))
        return FALSE;
      _gn_history_day_add_minute (day, (gint64) minute, v);
      return TRUE;
    }
  if (json_object_has_member (o, "dom"))
    {
      JsonNode *node = json_object_get_member (o, "dom");
      guint64 n;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          *json_node_get_string (node) == '\0' || !get_count (o, "b", &n))
        return FALSE;
      _gn_history_day_add_domain (day, json_node_get_string (node), n);
      return TRUE;
    }
  return FALSE;
}

static Day *
read_day (Writer     *w,
          const char *name)
{
  g_autofree char *path = day_path (w, name);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  Day *day = _gn_history_day_new ();
  GStatBuf st;
  guint bad = 0;
  gsize length;
  char *p, *end;

  if (g_stat (path, &st) != 0)
    return day;   /* nothing recorded that day */
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_DAY_FILE_BYTES)
    {
      g_autofree char *text =
        g_strdup_printf (_("The history file %s is not a history file (not a regular file, or "
                           "more than %d MiB); it was left alone and not used."),
                         path, MAX_DAY_FILE_BYTES / (1024 * 1024));
      _gn_history_writer_notify (w, text);
      return day;
    }
  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not read the history file %s: %s"),
                                               path, error->message);
      _gn_history_writer_notify (w, text);
      return day;
    }

  parser = json_parser_new_immutable ();
  p = contents;
  end = contents + length;
  while (p < end)
    {
      char *nl = memchr (p, '\n', (gsize) (end - p));

      /* No newline: the last line was being written when the process
       * died. What it said is lost; nothing else is. */
      if (nl == NULL)
        break;
      if (nl > p)
        {
          day->n_lines++;
          if (!parse_line (parser, p, nl - p, day))
            bad++;
        }
      p = nl + 1;
    }

  if (bad > 0)
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "The history file %s has %u damaged line; it was skipped "
                                      "and the rest of the file was used.",
                                      "The history file %s has %u damaged lines; they were "
                                      "skipped and the rest of the file was used.", bad),
                         path, bad);
      _gn_history_writer_notify (w, text);
    }
  return day;
}

static Day *
get_day (Writer     *w,
         const char *name)
{
  Day *day = g_hash_table_lookup (w->cache, name);

  if (day == NULL)
    {
      day = read_day (w, name);
      g_hash_table_insert (w->cache, g_strdup (name), day);
    }
  return day;
}

/* ---- writing ---- */

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (const char *c = valid; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if ((guchar) *c < 0x20)
        g_string_append_printf (out, "\\u%04x", (guint) (guchar) *c);
      else
        g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

void
_gn_history_day_to_lines (const Day *day,
                          GString   *out)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, day->minutes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const guint64 *v = value;

      g_string_append_printf (out, "{\"m\":%" G_GINT64_FORMAT ",\"r\":%" G_GUINT64_FORMAT
                              ",\"b\":%" G_GUINT64_FORMAT ",\"u\":%" G_GUINT64_FORMAT
                              ",\"d\":%" G_GUINT64_FORMAT "}\n",
                              *(gint64 *) key, v[F_REQUESTS], v[F_BLOCKED], v[F_BYTES_UP],
                              v[F_BYTES_DOWN]);
    }
  g_hash_table_iter_init (&iter, day->domains);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_string_append (out, "{\"dom\":");
      append_json_string (out, key);
      g_string_append_printf (out, ",\"b\":%" G_GUINT64_FORMAT "}\n", *(guint64 *) value);
    }
}

static gboolean
ends_with_newline (const char *path)
{
  char last = '\n';
  int fd = g_open (path, O_RDONLY | O_BINARY, 0);

  if (fd < 0)
    return TRUE;
  if (lseek (fd, -1, SEEK_END) >= 0 && read (fd, &last, 1) != 1)
    last = '\n';
  close (fd);
  return last == '\n';
}

static gboolean
append_day (Writer      *w,
            const char  *name,
            const Day   *delta,
            GError     **error)
{
  g_autofree char *path = day_path (w, name);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p;
  gsize left;
  int fd;

  if (g_mkdir_with_parents (w->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not save the history: the folder %s cannot be created (%s)"),
                   w->dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* After a crash the file may end in the middle of a line: end it, so
   * that only the torn line is lost and not the next one too. */
  if (g_hash_table_add (w->tail_checked, g_strdup (name)) && !ends_with_newline (path))
    g_string_append_c (out, '\n');
  _gn_history_day_to_lines (delta, out);

  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_BINARY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not save the history to %s: %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  for (p = out->str, left = out->len; left > 0;)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = errno;

          g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not save the history to %s: %s"),
                       path, g_strerror (saved_errno));
          close (fd);
          return FALSE;
        }
      p += n;
      left -= (gsize) n;
    }
  /* Durable per batch: one sync every few seconds, on this thread. */
  g_fsync (fd);
  close (fd);
  return TRUE;
}

static void
run_write (Writer *w,
           Job    *job)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, job->days);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) error = NULL;
      Day *cached = g_hash_table_lookup (w->cache, key);

      if (!append_day (w, key, value, &error))
        {
          _gn_history_writer_notify (w, error->message);
          g_mutex_lock (&w->mutex);
          g_clear_error (&w->error);
          w->error = g_steal_pointer (&error);
          g_mutex_unlock (&w->mutex);
          continue;
        }
      if (cached != NULL)
        _gn_history_day_merge (cached, value);
    }
  _gn_history_writer_notify (w, NULL);
}

/* ---- retention and compaction ---- */

static void
compact (Writer     *w,
         const char *name)
{
  Day *day = get_day (w, name);
  guint n_keys = g_hash_table_size (day->minutes) + g_hash_table_size (day->domains);
  g_autofree char *path = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GError) error = NULL;

  if (day->n_lines <= n_keys)
    return;
  path = day_path (w, name);
  out = g_string_new (NULL);
  _gn_history_day_to_lines (day, out);
  if (!gn_file_set_contents (path, out->str, (gssize) out->len,
                             G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                             0600, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not compact the history file %s: %s"),
                                               path, error->message);
      _gn_history_writer_notify (w, text);
      return;
    }
  day->n_lines = n_keys;
  g_hash_table_add (w->tail_checked, g_strdup (name));
}

static void
run_expire (Writer *w,
            Job    *job)
{
  g_autoptr(GDir) dir = g_dir_open (w->dir, 0, NULL);
  g_autoptr(GPtrArray) past = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  const char *file;

  g_hash_table_iter_init (&iter, w->cache);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (strcmp (key, job->cutoff) < 0)
      g_hash_table_iter_remove (&iter);

  while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *name = NULL;

      if (!_gn_history_is_day_file (file))
        continue;
      name = g_strndup (file, 10);
      if (strcmp (name, job->cutoff) < 0)
        {
          g_autofree char *path = day_path (w, name);

          if (g_unlink (path) != 0 && errno != ENOENT)
            {
              int saved_errno = errno;
              g_autofree char *text = g_strdup_printf (_("Could not delete the old history "
                                                         "file %s: %s"),
                                                       path, g_strerror (saved_errno));
              _gn_history_writer_notify (w, text);
            }
          g_hash_table_remove (w->tail_checked, name);
        }
      else if (strcmp (name, job->today) < 0)
        g_ptr_array_add (past, g_steal_pointer (&name));
    }
  for (guint i = 0; i < past->len; i++)
    compact (w, g_ptr_array_index (past, i));
}

/* ---- queries and export ---- */

static int
domain_order (gconstpointer a,
              gconstpointer b)
{
  const GnHistoryDomain *x = *(GnHistoryDomain **) a;
  const GnHistoryDomain *y = *(GnHistoryDomain **) b;
  int c = strcmp (x->day, y->day);

  if (c != 0)
    return c;
  if (x->blocked != y->blocked)
    return x->blocked > y->blocked ? -1 : 1;
  return strcmp (x->domain, y->domain);
}

static GnHistory *
query (Writer *w,
       gint64  from,
       gint64  to,
       guint   bucket_s)
{
  GnHistory *h = _gn_history_new (from, to, bucket_s);
  g_autofree char *last = _gn_history_day_name (to - 1);

  for (int offset = 0; offset < MAX_QUERY_DAYS; offset++)
    {
      g_autofree char *name = _gn_history_day_name_offset (from, offset);
      GHashTableIter iter;
      gpointer key, value;
      Day *day;

      if (strcmp (name, last) > 0)
        break;
      day = get_day (w, name);
      g_hash_table_iter_init (&iter, day->minutes);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          gint64 s = *(gint64 *) key * 60;
          const guint64 *v = value;
          GnHistoryPoint *point;

          if (s < from || s >= to)
            continue;
          point = &g_array_index (h->points, GnHistoryPoint, (s - from) / bucket_s);
          point->requests += v[F_REQUESTS];
          point->blocked += v[F_BLOCKED];
          point->bytes_up += v[F_BYTES_UP];
          point->bytes_down += v[F_BYTES_DOWN];
        }
      g_hash_table_iter_init (&iter, day->domains);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          GnHistoryDomain *d = g_new0 (GnHistoryDomain, 1);

          d->day = g_strdup (name);
          d->domain = g_strdup (key);
          d->blocked = *(guint64 *) value;
          g_ptr_array_add (h->domains, d);
        }
    }
  g_ptr_array_sort (h->domains, domain_order);
  return h;
}

static gboolean
run_export (Writer  *w,
            Job     *job,
            GError **error)
{
  gint64 now = job->from;
  gint64 end = now - now % 60 + 60;
  gint64 hours_end = now - now % 3600 + 3600;
  g_autoptr(GnHistory) minutes = query (w, end - 24 * 3600, end, 60);
  g_autoptr(GnHistory) hours = query (w, hours_end - (gint64) job->bucket_s * 24 * 3600,
                                      hours_end, 3600);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize length;

  text = _gn_history_export_text (minutes, hours, job->format, now, &length);
  if (!gn_file_set_contents (job->path, text, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT,
                             0644, &local_error))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not export the history to %s: %s"),
                   job->path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
_gn_history_writer_run (gpointer data,
                        gpointer user_data)
{
  Job *job = data;
  Writer *w = user_data;

  switch (job->kind)
    {
    case JOB_WRITE:
      run_write (w, job);
      break;
    case JOB_EXPIRE:
      run_expire (w, job);
      break;
    case JOB_QUERY:
      job->result = query (w, job->from, job->to, job->bucket_s);
      if (job->task != NULL)
        g_task_return_pointer (job->task, g_steal_pointer (&job->result),
                               (GDestroyNotify) gn_history_unref);
      break;
    case JOB_EXPORT:
      run_export (w, job, &job->error);
      if (job->task != NULL)
        {
          if (job->error != NULL)
            g_task_return_error (job->task, g_steal_pointer (&job->error));
          else
            g_task_return_boolean (job->task, TRUE);
        }
      break;
    case JOB_SYNC:
    default:
      break;
    }

  if (job->waiter != NULL)
    {
      Waiter *waiter = job->waiter;

      /* The caller frees the job (and reads its result). */
      g_mutex_lock (&waiter->mutex);
      waiter->done = TRUE;
      g_cond_signal (&waiter->cond);
      g_mutex_unlock (&waiter->mutex);
      return;
    }
  _gn_history_job_free (job);
}
