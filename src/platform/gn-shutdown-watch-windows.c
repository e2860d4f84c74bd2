/* gn-shutdown-watch-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnShutdownWatch on Windows (see gn-shutdown-watch.h): the console control
 * events — Ctrl+C, Ctrl+Break, closing the console window, log-off and
 * shutdown for console processes — through SetConsoleCtrlHandler. Log-off
 * and shutdown for the GUI are handled by the Windows backend's hidden
 * top-level window (gn-os-proxy-windows.c); this covers `guardnest.exe
 * --headless` in a console. It also keeps the quit window
 * (gn-quit-window-windows.c): WM_CLOSE from the installer, the uninstaller
 * or `taskkill` (without /F) emits "shutdown" with the reason "asked to
 * quit", whether protection is on or off.
 *
 * Windows calls the handler on a thread of its own and ends the process as
 * soon as it returns (for close, log-off and shutdown), so the handler hands
 * the event to the owner's main context and then waits — up to 4.5 s, inside
 * the 5 s Windows allows — until the owner has restored and called
 * gn_shutdown_watch_release_inhibitor().
 *
 * The console API takes no user data, so the one active watch is kept in a
 * file-static pointer under a mutex: the single exception to "no file-static
 * mutable state", forced by the API.
 *
 * Threading: create on the main thread; "shutdown" is emitted on the
 * creating thread's thread-default main context.
 */

#include <windows.h>

#include "gn-quit-window-windows.h"
#include "gn-shutdown-watch.h"

#define WAIT_FOR_RESTORE_US (4500 * G_TIME_SPAN_MILLISECOND)

struct _GnShutdownWatch
{
  GObject       parent_instance;
  GMainContext *context;    /* (owned) */
  GMutex        lock;
  GCond         cond;
  gboolean      installed;  /* handler registered */
  gboolean      released;   /* owner finished restoring */
  GnQuitWindow *quit_window; /* (owned) (nullable) */
};

enum { SHUTDOWN, N_SIGNALS };
static guint signals[N_SIGNALS];

static GMutex active_lock;
static GnShutdownWatch *active;  /* (unowned) (nullable) guarded by active_lock */

G_DEFINE_FINAL_TYPE (GnShutdownWatch, gn_shutdown_watch, G_TYPE_OBJECT)

typedef struct
{
  GnShutdownWatch *self;    /* (owned) */
  const char      *reason;  /* static */
} Event;

static gboolean
emit_shutdown (gpointer data)
{
  Event *event = data;

  g_signal_emit (event->self, signals[SHUTDOWN], 0, event->reason);
  return G_SOURCE_REMOVE;
}

static void
event_free (gpointer data)
{
  Event *event = data;

  g_object_unref (event->self);
  g_free (event);
}

/* On the quit window's thread: hand the request over; the process ends
 * when the owner has quit, which the asking program waits for. */
static void
on_quit_request (gpointer user_data)
{
  GnShutdownWatch *self = NULL;
  Event *event;

  g_mutex_lock (&active_lock);
  if (active == user_data)
    self = g_object_ref (active);
  g_mutex_unlock (&active_lock);
  if (self == NULL)
    return;
  event = g_new0 (Event, 1);
  event->self = self;   /* the reference taken above */
  event->reason = "asked to quit";
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, emit_shutdown, event, event_free);
}

static BOOL WINAPI
on_console_ctrl (DWORD type)
{
  GnShutdownWatch *self = NULL;
  Event *event;
  gint64 deadline;

  g_mutex_lock (&active_lock);
  if (active != NULL)
    self = g_object_ref (active);
  g_mutex_unlock (&active_lock);
  if (self == NULL)
    return FALSE;

  event = g_new0 (Event, 1);
  event->self = g_object_ref (self);
  switch (type)
    {
    case CTRL_C_EVENT:        event->reason = "Ctrl+C"; break;
    case CTRL_BREAK_EVENT:    event->reason = "Ctrl+Break"; break;
    case CTRL_CLOSE_EVENT:    event->reason = "console closed"; break;
    case CTRL_LOGOFF_EVENT:   event->reason = "log-off"; break;
    case CTRL_SHUTDOWN_EVENT:
    default:                  event->reason = "system shutdown"; break;
    }
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, emit_shutdown, event, event_free);

  /* Hold Windows off until the owner has restored (or the time is up). */
  deadline = g_get_monotonic_time () + WAIT_FOR_RESTORE_US;
  g_mutex_lock (&self->lock);
  while (!self->released)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  g_mutex_unlock (&self->lock);

  g_object_unref (self);
  return TRUE;
}

gboolean
gn_shutdown_watch_has_inhibitor (GnShutdownWatch *self)
{
  gboolean held;

  g_return_val_if_fail (GN_IS_SHUTDOWN_WATCH (self), FALSE);
  g_mutex_lock (&self->lock);
  held = self->installed && !self->released;
  g_mutex_unlock (&self->lock);
  return held;
}

void
gn_shutdown_watch_release_inhibitor (GnShutdownWatch *self)
{
  g_return_if_fail (GN_IS_SHUTDOWN_WATCH (self));
  g_mutex_lock (&self->lock);
  self->released = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gn_shutdown_watch_dispose (GObject *object)
{
  GnShutdownWatch *self = GN_SHUTDOWN_WATCH (object);

  g_mutex_lock (&active_lock);
  if (active == self)
    active = NULL;
  g_mutex_unlock (&active_lock);
  /* Joins the window's thread: no request arrives after this. */
  g_clear_pointer (&self->quit_window, gn_quit_window_stop);
  if (self->installed)
    {
      SetConsoleCtrlHandler (on_console_ctrl, FALSE);
      self->installed = FALSE;
    }
  gn_shutdown_watch_release_inhibitor (self);
  G_OBJECT_CLASS (gn_shutdown_watch_parent_class)->dispose (object);
}

static void
gn_shutdown_watch_finalize (GObject *object)
{
  GnShutdownWatch *self = GN_SHUTDOWN_WATCH (object);

  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
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
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref_thread_default ();
}

GnShutdownWatch *
gn_shutdown_watch_new (void)
{
  GnShutdownWatch *self = g_object_new (GN_TYPE_SHUTDOWN_WATCH, NULL);

  g_mutex_lock (&active_lock);
  active = self;
  g_mutex_unlock (&active_lock);
  self->quit_window = gn_quit_window_start (on_quit_request, self);
  self->installed = SetConsoleCtrlHandler (on_console_ctrl, TRUE) != 0;
  if (!self->installed)
    g_message ("Console events will not restore the proxy settings (error %lu).",
               (unsigned long) GetLastError ());
  return self;
}
