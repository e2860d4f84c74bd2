/* gn-single-instance-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnSingleInstance on Windows (see gn-single-instance.h), without D-Bus and
 * so without gdbus.exe: the first instance creates the named mutex
 * "Local\<name>.Instance" (one per user session) and a hidden message-only
 * window of class "GnSingleInstance" named <name>, on a thread of its own
 * with its own message loop (the GTK main loop may be busy, and a test has
 * none). A later instance finds the mutex taken, finds that window
 * (waiting up to 10 s for a first instance still starting), lets it take
 * the foreground (AllowSetForegroundWindow: the user started the later one)
 * and sends it a message; the window thread hands it to the first
 * instance's main context as "activate". The mutex is released by Windows
 * when the first instance ends, however it ends.
 *
 * Threading: create on the main thread; "activate" is emitted on the
 * creating thread's thread-default main context. The window thread
 * (gn_wp_window_thread_start) only posts to that context.
 */

#include "gn-winproxy.h"   /* windows.h first (winsock2.h), the window thread */

#include "gn-single-instance.h"

#define WINDOW_CLASS L"GnSingleInstance"
#define MSG_ACTIVATE (WM_APP + 1)
#define FIND_TIMEOUT_MS 10000

struct _GnSingleInstance
{
  GObject       parent_instance;
  GMainContext *context;    /* (owned) */
  HANDLE        mutex;      /* (owned) (nullable) */
  GnWpWindowThread *window; /* (owned) (nullable) the window and its thread */
  wchar_t      *name;       /* (owned) */
  gboolean      primary;
};

enum { ACTIVATE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GnSingleInstance, gn_single_instance, G_TYPE_OBJECT)

static gboolean
emit_activate (gpointer data)
{
  g_signal_emit (data, signals[ACTIVATE], 0);
  return G_SOURCE_REMOVE;
}

static LRESULT
window_proc (HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam, gpointer data)
{
  GnSingleInstance *self = data;

  if (msg == MSG_ACTIVATE)
    {
      /* The object outlives this window (dispose stops the thread first). */
      g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_activate,
                                  g_object_ref (self), g_object_unref);
      return 1;
    }
  return DefWindowProcW (hwnd, msg, wparam, lparam);
}

/* The later instance: ask the first one to show its window. */
static void
ask_primary (GnSingleInstance *self, gboolean quiet)
{
  HWND primary = NULL;
  DWORD pid = 0;
  DWORD_PTR answer = 0;

  if (quiet)
    return;
  for (int waited = 0; primary == NULL && waited < FIND_TIMEOUT_MS; waited += 100)
    {
      primary = FindWindowExW (HWND_MESSAGE, NULL, WINDOW_CLASS, self->name);
      if (primary == NULL)
        Sleep (100);
    }
  if (primary == NULL)
    {
      g_message ("Another GuardNest is starting; it was not asked to show its window.");
      return;
    }
  if (GetWindowThreadProcessId (primary, &pid) != 0)
    AllowSetForegroundWindow (pid);
  if (!SendMessageTimeoutW (primary, MSG_ACTIVATE, 0, 0, SMTO_ABORTIFHUNG, 5000, &answer))
    g_message ("The GuardNest that runs did not answer (error %lu).",
               (unsigned long) GetLastError ());
}

static void
gn_single_instance_dispose (GObject *object)
{
  GnSingleInstance *self = GN_SINGLE_INSTANCE (object);

  g_clear_pointer (&self->window, gn_wp_window_thread_stop);
  g_clear_pointer (&self->mutex, CloseHandle);
  G_OBJECT_CLASS (gn_single_instance_parent_class)->dispose (object);
}

static void
gn_single_instance_finalize (GObject *object)
{
  GnSingleInstance *self = GN_SINGLE_INSTANCE (object);

  g_free (self->name);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (gn_single_instance_parent_class)->finalize (object);
}

static void
gn_single_instance_class_init (GnSingleInstanceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gn_single_instance_dispose;
  G_OBJECT_CLASS (klass)->finalize = gn_single_instance_finalize;

  signals[ACTIVATE] = g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_single_instance_init (GnSingleInstance *self)
{
  self->context = g_main_context_ref_thread_default ();
}

GApplicationFlags
gn_single_instance_app_flags (void)
{
  return G_APPLICATION_NON_UNIQUE;
}

GnSingleInstance *
gn_single_instance_new (const char *name,
                        gboolean    quiet)
{
  GnSingleInstance *self;
  g_autofree char *mutex_name = NULL;
  g_autofree wchar_t *wmutex = NULL;
  DWORD error = 0;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (GN_TYPE_SINGLE_INSTANCE, NULL);
  self->name = g_utf8_to_utf16 (name, -1, NULL, NULL, NULL);
  mutex_name = g_strdup_printf ("Local\\%s.Instance", name);
  wmutex = g_utf8_to_utf16 (mutex_name, -1, NULL, NULL, NULL);
  self->mutex = CreateMutexW (NULL, FALSE, wmutex);
  if (self->mutex != NULL && GetLastError () == ERROR_ALREADY_EXISTS)
    {
      g_clear_pointer (&self->mutex, CloseHandle);
      ask_primary (self, quiet);
      return self;
    }
  /* Without a mutex (should not happen) it runs as before: alone. */
  self->primary = TRUE;
  /* Message-only (HWND_MESSAGE): found with FindWindowExW (HWND_MESSAGE, ...). */
  self->window = gn_wp_window_thread_start (WINDOW_CLASS, self->name, 0, 0, HWND_MESSAGE,
                                            window_proc, self, &error);
  if (self->window == NULL)
    g_message ("A second GuardNest will not be able to show this window (error %lu).",
               (unsigned long) error);
  return self;
}

gboolean
gn_single_instance_is_primary (GnSingleInstance *self)
{
  g_return_val_if_fail (GN_IS_SINGLE_INSTANCE (self), FALSE);
  return self->primary;
}
