/* gn-os-proxy-none.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The backend used when GuardNest cannot manage the OS proxy (no supported
 * desktop, no GSettings schema, ...). It never touches anything and says why,
 * so the UI can tell the user to point their programs at 127.0.0.1:3000
 * themselves. Reading gives an empty snapshot; writing fails with
 * GN_ERROR_NOT_SUPPORTED and that reason.
 *
 * Threading: any single thread.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy.h"

#define GN_TYPE_OS_PROXY_NONE (gn_os_proxy_none_get_type ())
G_DECLARE_FINAL_TYPE (GnOsProxyNone, gn_os_proxy_none, GN, OS_PROXY_NONE, GnOsProxy)

struct _GnOsProxyNone
{
  GnOsProxy  parent_instance;
  char      *reason;  /* (owned) */
};

G_DEFINE_FINAL_TYPE (GnOsProxyNone, gn_os_proxy_none, GN_TYPE_OS_PROXY)

static const char *
gn_os_proxy_none_get_name (GnOsProxy *proxy)
{
  return "none";
}

static const char *
gn_os_proxy_none_get_unmanaged_reason (GnOsProxy *proxy)
{
  return GN_OS_PROXY_NONE (proxy)->reason;
}

static GnOsProxySettings *
gn_os_proxy_none_read (GnOsProxy *proxy, GError **error)
{
  return gn_os_proxy_settings_new ("none");
}

static gboolean
gn_os_proxy_none_write (GnOsProxy *proxy, const GnOsProxySettings *settings, GError **error)
{
  g_set_error (error, GN_ERROR, GN_ERROR_NOT_SUPPORTED,
               _("GuardNest does not change the system proxy settings here: %s "
                 "Set your programs' proxy to 127.0.0.1 yourself."),
               GN_OS_PROXY_NONE (proxy)->reason);
  return FALSE;
}

static void
gn_os_proxy_none_finalize (GObject *object)
{
  g_free (GN_OS_PROXY_NONE (object)->reason);
  G_OBJECT_CLASS (gn_os_proxy_none_parent_class)->finalize (object);
}

static void
gn_os_proxy_none_class_init (GnOsProxyNoneClass *klass)
{
  GnOsProxyClass *proxy_class = GN_OS_PROXY_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gn_os_proxy_none_finalize;
  proxy_class->get_name = gn_os_proxy_none_get_name;
  proxy_class->get_unmanaged_reason = gn_os_proxy_none_get_unmanaged_reason;
  proxy_class->read = gn_os_proxy_none_read;
  proxy_class->write = gn_os_proxy_none_write;
}

static void
gn_os_proxy_none_init (GnOsProxyNone *self)
{
}

GnOsProxy *
gn_os_proxy_new_none (const char *reason)
{
  GnOsProxyNone *self = g_object_new (GN_TYPE_OS_PROXY_NONE, NULL);

  self->reason = g_strdup (reason && *reason ? reason
                           : _("No supported desktop was found."));
  return GN_OS_PROXY (self);
}
