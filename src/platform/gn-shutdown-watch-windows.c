/* gn-shutdown-watch-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnShutdownWatch on Windows (the Linux one is gn-shutdown-watch.c): the
 * console control events — Ctrl+C, Ctrl+Break, closing the console window,
 * and for console-only processes log-off and shutdown — become the
 * "shutdown" signal, so `guardnest --headless --system-proxy` restores the
 * proxy when its console goes away. Windows ends the process soon after the
 * handler returns (about 5 s for a closed console), so the handler waits, at
 * most 4.5 s, until the owner calls gn_shutdown_watch_release_inhibitor()
 * (done automatically right after the "shutdown" handlers return).
 *
 * Log-off and shutdown of a process that has windows (GTK loads user32, and
 * Windows then stops sending those two console events) are handled by the
 * OS proxy backend's hidden top-level window (gn-os-proxy-windows.c), which
 * restores on WM_QUERYENDSESSION.
 *
 * Threading: create on the main thread; "shutdown" is emitted on the
 * thread-default main context of the creating thread. The console handler
 * runs on a thread Windows creates; it cannot carry user data, so the one
 * watch that installed it is kept in a file-static pointer under a mutex —
 * the only file-static state, forced by SetConsoleCtrlHandler's signature.
 */

#include <winsock2.h>
#include <windows.h>

#include "gn-shutdown-watch.h"

struct _GnShutdownWatch
{
  GObject       parent_instance;
  GMainContext *context;    /* (owned) */
  HANDLE        released;   /* manual-reset event: the owner has restored */
};

enum { SHUTDOWN, N_SIGNALS };
static guint signals[N_SIGNALS];

static GMutex console_lock;
static GnShutdownWatch *console_watch;  /* (unowned) (nullable) guarded by console_lock */

G_DEFINE_FINAL_TYPE (GnShutdownWatch, gn_shutdown_watch, G_TYPE_OBJECT)

typedef struct
{
  GnShutdownWatch *self;    /* (owned) */
  const char      *reason;  /* static string */
} Emission;

static void
emission_free (gpointer data)
{
  Emission *e = data;

  g_object_unref (e->self);
  g_free (e);
}

static gboolean
emit_shutdown (gpointer data)
{
  Emission *e = data;

  g_signal_emit (e->self, signals[SHUTDOWN], 0, e->reason);
  gn_shutdown_watch_release_inhibitor (e->self);
  return G_SOURCE_REMOVE;
}

static BOOL WINAPI
on_console_event (DWORD type)
{
  GnShutdownWatch *self = NULL;
  Emission *e;
  const char *reason;

  switch (type)
    {
    case CTRL_C_EVENT: reason = "SIGINT"; break;
    case CTRL_BREAK_EVENT: reason = "Ctrl+Break"; break;
    case CTRL_CLOSE_EVENT: reason = "console closed"; break;
    case CTRL_LOGOFF_EVENT: reason = "log-off"; break;
    case CTRL_SHUTDOWN_EVENT: reason = "system shutdown"; break;
    default: return FALSE;
    }

  g_mutex_lock (&console_lock);
  if (console_watch != NULL)
    self = g_object_ref (console_watch);
  g_mutex_unlock (&console_lock);
  if (self == NULL)
    return FALSE;

  ResetEvent (self->released);
  e = g_new0 (Emission, 1);
  e->self = g_object_ref (self);
  e->reason = reason;
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, emit_shutdown, e, emission_free);
  /* Returning lets Windows end the process: first let the owner restore. */
  WaitForSingleObject (self->released, 4500);
  g_object_unref (self);
  return TRUE;
}

gboolean
gn_shutdown_watch_has_inhibitor (GnShutdownWatch *self)
{
  g_return_val_if_fail (GN_IS_SHUTDOWN_WATCH (self), FALSE);
  return FALSE;  /* Windows has no logind; see the file comment */
}

void
gn_shutdown_watch_release_inhibitor (GnShutdownWatch *self)
{
  g_return_if_fail (GN_IS_SHUTDOWN_WATCH (self));
  SetEvent (self->released);
}

static void
gn_shutdown_watch_dispose (GObject *object)
{
  GnShutdownWatch *self = GN_SHUTDOWN_WATCH (object);

  g_mutex_lock (&console_lock);
  if (console_watch == self)
    {
      SetConsoleCtrlHandler (on_console_event, FALSE);
      console_watch = NULL;
    }
  g_mutex_unlock (&console_lock);
  SetEvent (self->released);
  G_OBJECT_CLASS (gn_shutdown_watch_parent_class)->dispose (object);
}

static void
gn_shutdown_watch_finalize (GObject *object)
{
  GnShutdownWatch *self = GN_SHUTDOWN_WATCH (object);

  CloseHandle (self->released);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (gn_shutdown_watch_parent_class)->finalize (object);
}

static void
gn_shutdown_watch_class_init (GnShutdownWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gn_shutdown_watch_dispose;
  G_OBJECT_CLASS (klass)->finalize = gn_shutdown_watch_finalize;

  signals[SHUTDOWN] = g_signal_new ("shutdown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gn_shutdown_watch_init (GnShutdownWatch *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->released = CreateEventW (NULL, TRUE, TRUE, NULL);
}

GnShutdownWatch *
gn_shutdown_watch_new (void)
{
  GnShutdownWatch *self = g_object_new (GN_TYPE_SHUTDOWN_WATCH, NULL);

  g_mutex_lock (&console_lock);
  if (console_watch == NULL)
    {
      if (SetConsoleCtrlHandler (on_console_event, TRUE))
        console_watch = self;
      else
        g_message ("Console close events will not restore the proxy (error %lu).",
                   GetLastError ());
    }
  g_mutex_unlock (&console_lock);
  return self;
}
