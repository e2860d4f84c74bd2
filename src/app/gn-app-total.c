/* gn-app-total.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One program's totals for the Overview's "Top apps" (GnAppStats): how
 * many connections it made through the proxy and how many of them were
 * blocked. Changes in place and notifies only what changed.
 *
 * Threading: main thread only.
 */

#include "gn-app-total.h"

struct _GnAppTotal
{
  GObject  parent_instance;

  char    *app;          /* (owned) */
  guint    connections;
  guint    blocked;
};

G_DEFINE_FINAL_TYPE (GnAppTotal, gn_app_total, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_APP,
  PROP_CONNECTIONS,
  PROP_BLOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gn_app_total_finalize (GObject *object)
{
  GnAppTotal *self = (GnAppTotal *) object;

  g_clear_pointer (&self->app, g_free);
  G_OBJECT_CLASS (gn_app_total_parent_class)->finalize (object);
}

static void
gn_app_total_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  GnAppTotal *self = GN_APP_TOTAL (object);

  switch (prop_id)
    {
    case PROP_APP:
      g_value_set_string (value, self->app);
      break;
    case PROP_CONNECTIONS:
      g_value_set_uint (value, self->connections);
      break;
    case PROP_BLOCKED:
      g_value_set_uint (value, self->blocked);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_app_total_class_init (GnAppTotalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gn_app_total_finalize;
  object_class->get_property = gn_app_total_get_property;

  properties[PROP_APP] = g_param_spec_string ("app", NULL, NULL, NULL, ro);
  properties[PROP_CONNECTIONS] = g_param_spec_uint ("connections", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_BLOCKED] = g_param_spec_uint ("blocked", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_app_total_init (GnAppTotal *self)
{
}

GnAppTotal *
gn_app_total_new (const char *app)
{
  GnAppTotal *self;

  g_return_val_if_fail (app != NULL, NULL);
  self = g_object_new (GN_TYPE_APP_TOTAL, NULL);
  self->app = g_strdup (app);
  return self;
}

const char *
gn_app_total_get_app (GnAppTotal *self)
{
  g_return_val_if_fail (GN_IS_APP_TOTAL (self), NULL);
  return self->app;
}

guint
gn_app_total_get_connections (GnAppTotal *self)
{
  g_return_val_if_fail (GN_IS_APP_TOTAL (self), 0);
  return self->connections;
}

guint
gn_app_total_get_blocked (GnAppTotal *self)
{
  g_return_val_if_fail (GN_IS_APP_TOTAL (self), 0);
  return self->blocked;
}

void
gn_app_total_add (GnAppTotal *self,
                  guint       connections,
                  guint       blocked)
{
  g_return_if_fail (GN_IS_APP_TOTAL (self));

  self->connections += connections;
  self->blocked += blocked;
  if (connections > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTIONS]);
  if (blocked > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKED]);
}
