/* gn-blocklist-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One subscribed list as a GObject whose properties the UI binds to. Plain
 * state with notifying setters; the manager and the updater decide what
 * goes in. Threading: the manager's (main) thread only.
 */

#include "gn-blocklist-source.h"
#include "gn-compat.h"

struct _GnBlocklistSource
{
  GObject parent_instance;

  char *id;  /* (owned) */
  char *name;  /* (owned) (nullable) */
  char *url;  /* (owned) (nullable) */
  gboolean enabled;
  GnBlocklistFormat format;
  guint64 entries;
  guint64 size;
  gint64 last_success;
  gint64 last_attempt;
  char *last_error;  /* (owned) (nullable) */
  guint64 bytes_received;
  gboolean updating;
  char *etag;  /* (owned) (nullable) */
  char *last_modified;  /* (owned) (nullable) */
  gboolean auto_name;  /* the name was made from the URL; the list's Title may replace it */
};

G_DEFINE_FINAL_TYPE (GnBlocklistSource, gn_blocklist_source, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_URL,
  PROP_ENABLED,
  PROP_FORMAT,
  PROP_ENTRIES,
  PROP_SIZE,
  PROP_LAST_SUCCESS,
  PROP_LAST_ATTEMPT,
  PROP_LAST_ERROR,
  PROP_BYTES_RECEIVED,
  PROP_UPDATING,
  PROP_ETAG,
  PROP_LAST_MODIFIED,
  PROP_AUTO_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
gn_blocklist_source_get_name (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->name;
}

void
gn_blocklist_source_set_name (GnBlocklistSource *self,
                              const char        *name)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (gn_set_str (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
gn_blocklist_source_get_url (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->url;
}

void
gn_blocklist_source_set_url (GnBlocklistSource *self,
                             const char        *url)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (gn_set_str (&self->url, url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

gboolean 
gn_blocklist_source_get_enabled (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), FALSE);

  return self->enabled;
}

void
gn_blocklist_source_set_enabled (GnBlocklistSource *self,
                                 gboolean           enabled)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->enabled == !!enabled)
    return;
  self->enabled = !!enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

GnBlocklistFormat 
gn_blocklist_source_get_format (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), GN_BLOCKLIST_FORMAT_AUTO);

  return self->format;
}

void
gn_blocklist_source_set_format (GnBlocklistSource *self,
                                GnBlocklistFormat  format)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->format == format)
    return;
  self->format = format;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMAT]);
}

guint64 
gn_blocklist_source_get_entries (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), 0);

  return self->entries;
}

void
gn_blocklist_source_set_entries (GnBlocklistSource *self,
                                 guint64            entries)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->entries == entries)
    return;
  self->entries = entries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTRIES]);
}

guint64 
gn_blocklist_source_get_size (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), 0);

  return self->size;
}

void
gn_blocklist_source_set_size (GnBlocklistSource *self,
                              guint64            size)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->size == size)
    return;
  self->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

gint64 
gn_blocklist_source_get_last_success (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), 0);

  return self->last_success;
}

void
gn_blocklist_source_set_last_success (GnBlocklistSource *self,
                                      gint64             last_success)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->last_success == last_success)
    return;
  self->last_success = last_success;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SUCCESS]);
}

gint64 
gn_blocklist_source_get_last_attempt (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), 0);

  return self->last_attempt;
}

void
gn_blocklist_source_set_last_attempt (GnBlocklistSource *self,
                                      gint64             last_attempt)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->last_attempt == last_attempt)
    return;
  self->last_attempt = last_attempt;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ATTEMPT]);
}

const char *
gn_blocklist_source_get_last_error (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->last_error;
}

void
gn_blocklist_source_set_last_error (GnBlocklistSource *self,
                                    const char        *last_error)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (gn_set_str (&self->last_error, last_error))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

guint64 
gn_blocklist_source_get_bytes_received (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), 0);

  return self->bytes_received;
}

void
gn_blocklist_source_set_bytes_received (GnBlocklistSource *self,
                                        guint64            bytes_received)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->bytes_received == bytes_received)
    return;
  self->bytes_received = bytes_received;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
}

gboolean
gn_blocklist_source_get_auto_name (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), FALSE);

  return self->auto_name;
}

void
gn_blocklist_source_set_auto_name (GnBlocklistSource *self,
                                   gboolean           auto_name)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->auto_name == !!auto_name)
    return;
  self->auto_name = !!auto_name;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_NAME]);
}

gboolean
gn_blocklist_source_get_updating (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), FALSE);

  return self->updating;
}

void
gn_blocklist_source_set_updating (GnBlocklistSource *self,
                                  gboolean           updating)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (self->updating == !!updating)
    return;
  self->updating = !!updating;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATING]);
}

const char *
gn_blocklist_source_get_etag (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->etag;
}

void
gn_blocklist_source_set_etag (GnBlocklistSource *self,
                              const char        *etag)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (gn_set_str (&self->etag, etag))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETAG]);
}

const char *
gn_blocklist_source_get_last_modified (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->last_modified;
}

void
gn_blocklist_source_set_last_modified (GnBlocklistSource *self,
                                       const char        *last_modified)
{
  g_return_if_fail (GN_IS_BLOCKLIST_SOURCE (self));

  if (gn_set_str (&self->last_modified, last_modified))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MODIFIED]);
}

static void
gn_blocklist_source_finalize (GObject *object)
{
  GnBlocklistSource *self = GN_BLOCKLIST_SOURCE (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->last_modified, g_free);

  G_OBJECT_CLASS (gn_blocklist_source_parent_class)->finalize (object);
}

static void
gn_blocklist_source_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GnBlocklistSource *self = GN_BLOCKLIST_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_ENTRIES:
      g_value_set_uint64 (value, self->entries);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_LAST_SUCCESS:
      g_value_set_int64 (value, self->last_success);
      break;
    case PROP_LAST_ATTEMPT:
      g_value_set_int64 (value, self->last_attempt);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->bytes_received);
      break;
    case PROP_UPDATING:
      g_value_set_boolean (value, self->updating);
      break;
    case PROP_ETAG:
      g_value_set_string (value, self->etag);
      break;
    case PROP_LAST_MODIFIED:
      g_value_set_string (value, self->last_modified);
      break;
    case PROP_AUTO_NAME:
      g_value_set_boolean (value, self->auto_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocklist_source_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  GnBlocklistSource *self = GN_BLOCKLIST_SOURCE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_NAME:
      gn_blocklist_source_set_name (self, g_value_get_string (value));
      break;
    case PROP_URL:
      gn_blocklist_source_set_url (self, g_value_get_string (value));
      break;
    case PROP_ENABLED:
      gn_blocklist_source_set_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_FORMAT:
      gn_blocklist_source_set_format (self, g_value_get_enum (value));
      break;
    case PROP_ENTRIES:
      gn_blocklist_source_set_entries (self, g_value_get_uint64 (value));
      break;
    case PROP_SIZE:
      gn_blocklist_source_set_size (self, g_value_get_uint64 (value));
      break;
    case PROP_LAST_SUCCESS:
      gn_blocklist_source_set_last_success (self, g_value_get_int64 (value));
      break;
    case PROP_LAST_ATTEMPT:
      gn_blocklist_source_set_last_attempt (self, g_value_get_int64 (value));
      break;
    case PROP_LAST_ERROR:
      gn_blocklist_source_set_last_error (self, g_value_get_string (value));
      break;
    case PROP_BYTES_RECEIVED:
      gn_blocklist_source_set_bytes_received (self, g_value_get_uint64 (value));
      break;
    case PROP_UPDATING:
      gn_blocklist_source_set_updating (self, g_value_get_boolean (value));
      break;
    case PROP_ETAG:
      gn_blocklist_source_set_etag (self, g_value_get_string (value));
      break;
    case PROP_LAST_MODIFIED:
      gn_blocklist_source_set_last_modified (self, g_value_get_string (value));
      break;
    case PROP_AUTO_NAME:
      gn_blocklist_source_set_auto_name (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocklist_source_class_init (GnBlocklistSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gn_blocklist_source_finalize;
  object_class->get_property = gn_blocklist_source_get_property;
  object_class->set_property = gn_blocklist_source_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, rw);
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL, rw);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE, rw);
  properties[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL, GN_TYPE_BLOCKLIST_FORMAT,
                       GN_BLOCKLIST_FORMAT_AUTO, rw);
  properties[PROP_ENTRIES] =
    g_param_spec_uint64 ("entries", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  properties[PROP_LAST_SUCCESS] =
    g_param_spec_int64 ("last-success", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_LAST_ATTEMPT] =
    g_param_spec_int64 ("last-attempt", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL, rw);
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  properties[PROP_UPDATING] =
    g_param_spec_boolean ("updating", NULL, NULL, FALSE, rw);
  properties[PROP_AUTO_NAME] =
    g_param_spec_boolean ("auto-name", NULL, NULL, FALSE, rw);
  properties[PROP_ETAG] =
    g_param_spec_string ("etag", NULL, NULL, NULL, rw);
  properties[PROP_LAST_MODIFIED] =
    g_param_spec_string ("last-modified", NULL, NULL, NULL, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_blocklist_source_init (GnBlocklistSource *self)
{
  self->enabled = TRUE;
}

GnBlocklistSource *
gn_blocklist_source_new (const char        *id,
                         const char        *name,
                         const char        *url,
                         GnBlocklistFormat  format)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (GN_TYPE_BLOCKLIST_SOURCE,
                       "id", id,
                       "name", name,
                       "url", url,
                       "format", format,
                       NULL);
}

const char *
gn_blocklist_source_get_id (GnBlocklistSource *self)
{
  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (self), NULL);

  return self->id;
}
