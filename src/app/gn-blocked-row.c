/* gn-blocked-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row of the Blocked page: a domain that was refused, how often, when
 * last, which list and rule decided, the client that asked and which
 * programs asked (the one that asked most is the App column; the search
 * text holds all of them, so filtering by any program finds the row). Like the
 * connection rows it changes in place and notifies only what changed.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocked-row.h"
#include "gn-compat.h"

struct _GnBlockedRow
{
  GObject   parent_instance;

  char     *domain;     /* (owned) */
  char     *list;       /* (owned) (nullable) */
  char     *rule;       /* (owned) (nullable) */
  char     *client;     /* (owned) (nullable) */
  GHashTable *apps;     /* (owned) (nullable) program name → guint hits */
  char     *app;        /* (owned) (nullable) the program with most hits, the latest on a tie */
  char     *search_text; /* (owned) domain and every program, one a line */
  guint     count;
  gint64    last_seen;  /* g_get_real_time() of the last hit */
  gboolean  allowed;
  gint64    allowed_until; /* µs of wall-clock time a timed allow ends, 0: none */
};

G_DEFINE_FINAL_TYPE (GnBlockedRow, gn_blocked_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DOMAIN,
  PROP_COUNT,
  PROP_LAST_SEEN,
  PROP_LAST_SEEN_TEXT,
  PROP_LIST,
  PROP_RULE,
  PROP_CLIENT,
  PROP_ALLOWED,
  PROP_ALLOWED_UNTIL,
  PROP_STATUS_TEXT,
  PROP_APP,
  PROP_SEARCH_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gn_blocked_row_finalize (GObject *object)
{
  GnBlockedRow *self = (GnBlockedRow *) object;

  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->list, g_free);
  g_clear_pointer (&self->rule, g_free);
  g_clear_pointer (&self->client, g_free);
  g_clear_pointer (&self->apps, g_hash_table_unref);
  g_clear_pointer (&self->app, g_free);
  g_clear_pointer (&self->search_text, g_free);

  G_OBJECT_CLASS (gn_blocked_row_parent_class)->finalize (object);
}

/* "Allowed now" (the allowlist), "Allowed until 14:32" (a timed allow: a
 * time of day, so nothing needs to tick), or "Blocked". */
static char *
status_text (GnBlockedRow *self)
{
  g_autoptr(GDateTime) end = NULL;

  if (self->allowed)
    return g_strdup (_("Allowed now"));
  if (self->allowed_until != 0)
    end = g_date_time_new_from_unix_local (self->allowed_until / G_USEC_PER_SEC);
  if (end != NULL)
    {
      g_autofree char *time = g_date_time_format (end, "%H:%M");

      /* Translators: a timed allow's end, a time of day ("14:32") */
      return g_strdup_printf (_("Allowed until %s"), time);
    }
  return g_strdup (_("Blocked"));
}

static void
gn_blocked_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GnBlockedRow *self = GN_BLOCKED_ROW (object);

  switch (prop_id)
    {
    case PROP_DOMAIN:
      g_value_set_string (value, self->domain);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, self->count);
      break;
    case PROP_LAST_SEEN:
      g_value_set_int64 (value, self->last_seen);
      break;
    case PROP_LAST_SEEN_TEXT:
      {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (self->last_seen / G_USEC_PER_SEC);
        g_value_take_string (value, dt ? g_date_time_format (dt, "%H:%M:%S") : NULL);
      }
      break;
    case PROP_LIST:
      g_value_set_string (value, self->list);
      break;
    case PROP_RULE:
      g_value_set_string (value, self->rule);
      break;
    case PROP_CLIENT:
      g_value_set_string (value, self->client);
      break;
    case PROP_ALLOWED:
      g_value_set_boolean (value, self->allowed);
      break;
    case PROP_ALLOWED_UNTIL:
      g_value_set_int64 (value, self->allowed_until);
      break;
    case PROP_STATUS_TEXT:
      g_value_take_string (value, status_text (self));
      break;
    case PROP_APP:
      g_value_set_string (value, self->app);
      break;
    case PROP_SEARCH_TEXT:
      g_value_set_string (value, self->search_text != NULL ? self->search_text : self->domain);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocked_row_class_init (GnBlockedRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gn_blocked_row_finalize;
  object_class->get_property = gn_blocked_row_get_property;

  properties[PROP_DOMAIN] = g_param_spec_string ("domain", NULL, NULL, NULL, ro);
  properties[PROP_COUNT] = g_param_spec_uint ("count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_LAST_SEEN] = g_param_spec_int64 ("last-seen", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LAST_SEEN_TEXT] = g_param_spec_string ("last-seen-text", NULL, NULL, NULL, ro);
  properties[PROP_LIST] = g_param_spec_string ("list", NULL, NULL, NULL, ro);
  properties[PROP_RULE] = g_param_spec_string ("rule", NULL, NULL, NULL, ro);
  properties[PROP_CLIENT] = g_param_spec_string ("client", NULL, NULL, NULL, ro);
  properties[PROP_ALLOWED] = g_param_spec_boolean ("allowed", NULL, NULL, FALSE, ro);
  properties[PROP_ALLOWED_UNTIL] = g_param_spec_int64 ("allowed-until", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, ro);
  properties[PROP_APP] = g_param_spec_string ("app", NULL, NULL, NULL, ro);
  properties[PROP_SEARCH_TEXT] = g_param_spec_string ("search-text", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_blocked_row_init (GnBlockedRow *self)
{
}

GnBlockedRow *
gn_blocked_row_new (const char *domain)
{
  GnBlockedRow *self;

  g_return_val_if_fail (domain != NULL, NULL);

  self = g_object_new (GN_TYPE_BLOCKED_ROW, NULL);
  self->domain = g_strdup (domain);
  return self;
}

static void
set_string (GnBlockedRow  *self,
            char         **field,
            const char    *value,
            guint          prop)
{
  if (gn_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Counts one blocked connection. */
void
gn_blocked_row_add_hit (GnBlockedRow           *self,
                        const GnConnectionInfo *info)
{
  g_autofree char *client = NULL;
  gint64 seen;

  g_return_if_fail (GN_IS_BLOCKED_ROW (self));
  g_return_if_fail (info != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  self->count++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);

  seen = info->ended_at != 0 ? info->ended_at : info->started_at;
  if (seen > self->last_seen)
    {
      self->last_seen = seen;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN_TEXT]);
    }

  set_string (self, &self->list, info->list_name, PROP_LIST);
  set_string (self, &self->rule, info->rule, PROP_RULE);
  client = g_strdup (info->client_address);
  set_string (self, &self->client, client, PROP_CLIENT);

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
gn_blocked_row_get_domain (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->domain;
}

guint
gn_blocked_row_get_count (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), 0);
  return self->count;
}

const char *
gn_blocked_row_get_list (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->list;
}

const char *
gn_blocked_row_get_rule (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->rule;
}

const char *
gn_blocked_row_get_client (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->client;
}

/* One of the hits came from program @app (known later than the hit: the
 * program is looked up while the connection is open). */
void
gn_blocked_row_add_app (GnBlockedRow *self,
                        const char   *app)
{
  guint hits, top_hits;

  g_return_if_fail (GN_IS_BLOCKED_ROW (self));
  g_return_if_fail (app != NULL);

  if (self->apps == NULL)
    self->apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hits = GPOINTER_TO_UINT (g_hash_table_lookup (self->apps, app)) + 1;
  if (hits == 1)
    {
      g_autoptr(GString) text = g_string_new (self->search_text != NULL ? self->search_text : self->domain);

      g_string_append_printf (text, "\n%s", app);
      g_free (self->search_text);
      self->search_text = g_string_free (g_steal_pointer (&text), FALSE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
    }
  g_hash_table_insert (self->apps, g_strdup (app), GUINT_TO_POINTER (hits));
  top_hits = self->app != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (self->apps, self->app)) : 0;
  if (hits >= top_hits)
    set_string (self, &self->app, app, PROP_APP);
}

/* (nullable): the program that made most of the blocked requests. */
const char *
gn_blocked_row_get_app (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->app;
}

/* How many of the hits program @app made (0 if none, or not known). */
guint
gn_blocked_row_get_app_hits (GnBlockedRow *self,
                             const char   *app)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), 0);
  return self->apps != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (self->apps, app)) : 0;
}

const char *
gn_blocked_row_get_search_text (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), NULL);
  return self->search_text != NULL ? self->search_text : self->domain;
}

gboolean
gn_blocked_row_get_allowed (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), FALSE);
  return self->allowed;
}

void
gn_blocked_row_set_allowed (GnBlockedRow *self,
                            gboolean      allowed)
{
  g_return_if_fail (GN_IS_BLOCKED_ROW (self));

  allowed = !!allowed;
  if (self->allowed == allowed)
    return;
  self->allowed = allowed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOWED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
}

gint64
gn_blocked_row_get_allowed_until (GnBlockedRow *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_ROW (self), 0);
  return self->allowed_until;
}

/* When a timed allow that covers the domain ends (µs), 0 for none. */
void
gn_blocked_row_set_allowed_until (GnBlockedRow *self,
                                  gint64        until)
{
  g_return_if_fail (GN_IS_BLOCKED_ROW (self));

  until = MAX (until, 0);
  if (self->allowed_until == until)
    return;
  self->allowed_until = until;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOWED_UNTIL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
}
