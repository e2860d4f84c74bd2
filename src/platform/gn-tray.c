/* gn-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The part of GnTray (gn-tray.h) every OS shares: the GObject with what to
 * show (title, state, attention, whether Pause is possible), the
 * "available" property and the "item" signal. The OS backend
 * (gn-tray-private.h; gn-tray-sni.c or gn-tray-windows.c, chosen by meson)
 * is told what changed and shows it.
 *
 * Threading: the thread that created it (see gn-tray.h).
 */

#include "gn-tray-private.h"

G_DEFINE_FINAL_TYPE (GnTray, gn_tray, G_TYPE_OBJECT)

enum { PROP_0, PROP_AVAILABLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { ITEM, N_SIGNALS };
static guint signals[N_SIGNALS];

void
_gn_tray_set_available (GnTray   *self,
                        gboolean  available)
{
  available = !!available;
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

void
_gn_tray_emit_item (GnTray     *self,
                    GnTrayItem  item)
{
  g_signal_emit (self, signals[ITEM], 0, item);
}

gboolean
gn_tray_get_available (GnTray *self)
{
  g_return_val_if_fail (GN_IS_TRAY (self), FALSE);
  return self->available;
}

void
gn_tray_set_state (GnTray     *self,
                   const char *title,
                   const char *state,
                   gboolean    attention)
{
  GnTrayChanges changes = 0;

  g_return_if_fail (GN_IS_TRAY (self));
  g_return_if_fail (title != NULL && state != NULL);

  if (g_strcmp0 (self->title, title) != 0)
    {
      g_free (self->title);
      self->title = g_strdup (title);
      changes |= GN_TRAY_CHANGED_TITLE;
    }
  if (g_strcmp0 (self->state, state) != 0)
    {
      g_free (self->state);
      self->state = g_strdup (state);
      changes |= GN_TRAY_CHANGED_STATE;
    }
  if (self->attention != !!attention)
    {
      self->attention = !!attention;
      changes |= GN_TRAY_CHANGED_ATTENTION;
    }
  if (changes != 0 && self->backend != NULL)
    _gn_tray_backend_changed (self->backend, changes);
}

void
gn_tray_set_can_pause (GnTray   *self,
                       gboolean  can_pause)
{
  g_return_if_fail (GN_IS_TRAY (self));

  if (self->can_pause == !!can_pause)
    return;
  self->can_pause = !!can_pause;
  if (self->backend != NULL)
    _gn_tray_backend_changed (self->backend, GN_TRAY_CHANGED_CAN_PAUSE);
}

gboolean
gn_tray_show_message (GnTray     *self,
                      const char *title,
                      const char *body)
{
  g_return_val_if_fail (GN_IS_TRAY (self), FALSE);
  g_return_val_if_fail (title != NULL && body != NULL, FALSE);

  return self->backend != NULL && _gn_tray_backend_show_message (self->backend, title, body);
}

static void
gn_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  GnTray *self = GN_TRAY (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_tray_dispose (GObject *object)
{
  GnTray *self = GN_TRAY (object);

  g_clear_pointer (&self->backend, _gn_tray_backend_free);
  G_OBJECT_CLASS (gn_tray_parent_class)->dispose (object);
}

static void
gn_tray_finalize (GObject *object)
{
  GnTray *self = GN_TRAY (object);

  g_free (self->icon_name);
  g_free (self->title);
  g_free (self->state);
  G_OBJECT_CLASS (gn_tray_parent_class)->finalize (object);
}

static void
gn_tray_class_init (GnTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = gn_tray_get_property;
  object_class->dispose = gn_tray_dispose;
  object_class->finalize = gn_tray_finalize;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ITEM] = g_signal_new ("item", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
gn_tray_init (GnTray *self)
{
  self->title = g_strdup ("");
  self->state = g_strdup ("");
}

GnTray *
gn_tray_new (const char *icon_name)
{
  GnTray *self;

  g_return_val_if_fail (icon_name != NULL, NULL);

  self = g_object_new (GN_TYPE_TRAY, NULL);
  self->icon_name = g_strdup (icon_name);
  self->backend = _gn_tray_backend_new (self);
  return self;
}
