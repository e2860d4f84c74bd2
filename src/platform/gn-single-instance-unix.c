/* gn-single-instance-unix.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnSingleInstance on Linux (see gn-single-instance.h): GApplication's own
 * uniqueness over the D-Bus session bus applies, so every process is
 * "primary" here and "activate" is never emitted (GApplication sends the
 * later instance's activation to the first one itself).
 *
 * Threading: main thread.
 */

#include "gn-single-instance.h"

struct _GnSingleInstance
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (GnSingleInstance, gn_single_instance, G_TYPE_OBJECT)

static void
gn_single_instance_class_init (GnSingleInstanceClass *klass)
{
  g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_single_instance_init (GnSingleInstance *self)
{
}

GApplicationFlags
gn_single_instance_app_flags (void)
{
  return G_APPLICATION_DEFAULT_FLAGS;
}

GnSingleInstance *
gn_single_instance_new (const char *name,
                        gboolean    quiet)
{
  g_return_val_if_fail (name != NULL, NULL);
  return g_object_new (GN_TYPE_SINGLE_INSTANCE, NULL);
}

gboolean
gn_single_instance_is_primary (GnSingleInstance *self)
{
  g_return_val_if_fail (GN_IS_SINGLE_INSTANCE (self), FALSE);
  return TRUE;
}
