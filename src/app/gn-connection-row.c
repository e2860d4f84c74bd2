/* gn-connection-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One live row of the Connections table. The row is a GObject whose
 * properties change in place and notify (GTK's "clocks" demo pattern), so the
 * column view only re-renders the cells whose value really changed; the list
 * model never sees an items-changed for an update.
 *
 * Numbers are stored once; the "-text" properties are formatted on demand in
 * get_property and notified together with the number they show. The duration
 * and the current rate depend on time, so the owning model calls
 * gn_connection_row_tick() once a second for every open row.
 *
 * The Result column says how a connection ended — OK, the site's HTTP
 * error, blocked, or why it failed (DNS, refused, timed out, the upstream)
 * from the status and reason the engine recorded — and "css-classes" give
 * failures the theme's error colour and blocks its warning colour, closed
 * or not, so a failed connection never looks like a successful one.
 *
 * Threading: main thread only (rows are created and updated from the
 * registry's batches delivered on the main context).
 */

#include <glib/gi18n.h>

#include "gn-connection-row.h"
#include "gn-compat.h"
#include "gn-http-parser.h"

struct _GnConnectionRow
{
  GObject            parent_instance;

  guint64            id;
  char              *host;        /* (owned) (nullable) */
  char              *client;      /* (owned) */
  char              *app;         /* (owned) (nullable) the program that made it */
  char              *detail;      /* (owned) (nullable) */
  guint16            port;
  GnConnectionKind   kind;
  GnConnectionState  state;
  gint64             started_at;
  gint64             ended_at;
  gint64             duration_s;
  guint64            bytes_up;
  guint64            bytes_down;
  guint64            rate;        /* bytes/s over the last tick */
  guint              status;      /* the HTTP status answered, 0 if none */
  char              *reason;      /* (owned) (nullable) why it failed */
  GnConnectionResult result;

  guint64            tick_bytes;  /* up + down at the last tick */
  gint64             tick_time;
};

G_DEFINE_FINAL_TYPE (GnConnectionRow, gn_connection_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_HOST,
  PROP_PORT,
  PROP_KIND,
  PROP_KIND_TEXT,
  PROP_STATE,
  PROP_STATE_TEXT,
  PROP_CLIENT,
  PROP_STARTED,
  PROP_STARTED_TEXT,
  PROP_DURATION,
  PROP_DURATION_TEXT,
  PROP_BYTES_UP,
  PROP_BYTES_UP_TEXT,
  PROP_BYTES_DOWN,
  PROP_BYTES_DOWN_TEXT,
  PROP_RATE,
  PROP_RATE_TEXT,
  PROP_CLOSED,
  PROP_DETAIL,
  PROP_CSS_CLASSES,
  PROP_APP,
  PROP_RESULT,
  PROP_RESULT_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
gn_connection_kind_to_string (GnConnectionKind kind)
{
  switch (kind)
    {
    case GN_CONNECTION_KIND_TUNNEL:  return _("HTTPS tunnel");
    case GN_CONNECTION_KIND_HTTP:    return _("HTTP");
    case GN_CONNECTION_KIND_BLOCKED: return _("Blocked");
    case GN_CONNECTION_KIND_ERROR:   return _("Error");
    case GN_CONNECTION_KIND_UNKNOWN:
    default:                         return "…";
    }
}

const char *
gn_connection_state_to_string (GnConnectionState state)
{
  switch (state)
    {
    case GN_CONNECTION_STATE_READING:    return _("Reading request");
    case GN_CONNECTION_STATE_CONNECTING: return _("Connecting");
    case GN_CONNECTION_STATE_OPEN:       return _("Open");
    case GN_CONNECTION_STATE_CLOSED:
    default:                             return _("Closed");
    }
}

static char *
format_duration (gint64 s)
{
  if (s < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", s);
  if (s < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", s / 60, (int) (s % 60));
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d",
                          s / 3600, (int) ((s / 60) % 60), (int) (s % 60));
}

static char *
format_detail (const GnConnectionInfo *info)
{
  if (info->kind == GN_CONNECTION_KIND_BLOCKED && info->rule != NULL)
    return g_strdup_printf (_("Blocked by “%s” in %s"), info->rule,
                            info->list_name ? info->list_name : _("a blocklist"));
  if (info->reason != NULL)
    return g_strdup (info->reason);
  return NULL;
}

static GnConnectionResult
compute_result (GnConnectionRow *self)
{
  if (self->kind == GN_CONNECTION_KIND_BLOCKED)
    return GN_CONNECTION_RESULT_BLOCKED;
  if (self->kind == GN_CONNECTION_KIND_ERROR || self->reason != NULL)
    return GN_CONNECTION_RESULT_FAILED;
  if (self->status >= 400)
    return GN_CONNECTION_RESULT_HTTP_ERROR;
  if (self->state == GN_CONNECTION_STATE_CLOSED)
    return GN_CONNECTION_RESULT_OK;
  return GN_CONNECTION_RESULT_PENDING;
}

char *
gn_connection_row_dup_result_text (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), NULL);

  switch (self->result)
    {
    case GN_CONNECTION_RESULT_BLOCKED:
      return g_strdup (_("Blocked"));
    case GN_CONNECTION_RESULT_FAILED:
      if (self->reason != NULL)
        return g_strdup (self->reason);
      if (self->status != 0)
        return g_strdup_printf ("%u %s", self->status, gn_http_status_phrase (self->status));
      return g_strdup (_("Failed"));
    case GN_CONNECTION_RESULT_HTTP_ERROR:
      return g_strdup_printf ("%u %s", self->status, gn_http_status_phrase (self->status));
    case GN_CONNECTION_RESULT_OK:
      if (self->kind == GN_CONNECTION_KIND_HTTP && self->status != 0)
        return g_strdup_printf ("%u %s", self->status, gn_http_status_phrase (self->status));
      return g_strdup (_("OK"));
    case GN_CONNECTION_RESULT_PENDING:
    default:
      return g_strdup ("");
    }
}

GnConnectionResult
gn_connection_row_get_result (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), GN_CONNECTION_RESULT_PENDING);
  return self->result;
}

/* After any change that can change the result: notifies it. */
static void
update_result (GnConnectionRow *self,
               gboolean         text_changed)
{
  GnConnectionResult result = compute_result (self);

  if (result != self->result)
    {
      self->result = result;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CSS_CLASSES]);
      text_changed = TRUE;
    }
  if (text_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT_TEXT]);
}

static void
gn_connection_row_finalize (GObject *object)
{
  GnConnectionRow *self = (GnConnectionRow *) object;

  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->client, g_free);
  g_clear_pointer (&self->app, g_free);
  g_clear_pointer (&self->detail, g_free);
  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (gn_connection_row_parent_class)->finalize (object);
}

static void
gn_connection_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GnConnectionRow *self = GN_CONNECTION_ROW (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_KIND_TEXT:
      g_value_set_string (value, gn_connection_kind_to_string (self->kind));
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_STATE_TEXT:
      g_value_set_string (value, gn_connection_state_to_string (self->state));
      break;
    case PROP_CLIENT:
      g_value_set_string (value, self->client);
      break;
    case PROP_STARTED:
      g_value_set_int64 (value, self->started_at);
      break;
    case PROP_STARTED_TEXT:
      {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (self->started_at / G_USEC_PER_SEC);
        g_value_take_string (value, dt ? g_date_time_format (dt, "%H:%M:%S") : NULL);
      }
      break;
    case PROP_DURATION:
      g_value_set_int64 (value, self->duration_s);
      break;
    case PROP_DURATION_TEXT:
      g_value_take_string (value, format_duration (self->duration_s));
      break;
    case PROP_BYTES_UP:
      g_value_set_uint64 (value, self->bytes_up);
      break;
    case PROP_BYTES_UP_TEXT:
      g_value_take_string (value, g_format_size (self->bytes_up));
      break;
    case PROP_BYTES_DOWN:
      g_value_set_uint64 (value, self->bytes_down);
      break;
    case PROP_BYTES_DOWN_TEXT:
      g_value_take_string (value, g_format_size (self->bytes_down));
      break;
    case PROP_RATE:
      g_value_set_uint64 (value, self->rate);
      break;
    case PROP_RATE_TEXT:
      if (self->rate == 0)
        g_value_set_string (value, "—");
      else
        {
          g_autofree char *size = g_format_size (self->rate);
          g_value_take_string (value, g_strdup_printf (_("%s/s"), size));
        }
      break;
    case PROP_CLOSED:
      g_value_set_boolean (value, self->state == GN_CONNECTION_STATE_CLOSED);
      break;
    case PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    case PROP_APP:
      g_value_set_string (value, self->app);
      break;
    case PROP_CSS_CLASSES:
      {
        static const char * const closed[] = { "closed", NULL };
        static const char * const failed[] = { "error", NULL };
        static const char * const blocked[] = { "warning", NULL };
        static const char * const none[] = { NULL };

        /* Failures and blocks keep their colour after closing. */
        if (self->result == GN_CONNECTION_RESULT_FAILED)
          g_value_set_boxed (value, failed);
        else if (self->result == GN_CONNECTION_RESULT_BLOCKED)
          g_value_set_boxed (value, blocked);
        else if (self->state == GN_CONNECTION_STATE_CLOSED)
          g_value_set_boxed (value, closed);
        else
          g_value_set_boxed (value, none);
      }
      break;
    case PROP_RESULT:
      g_value_set_int (value, self->result);
      break;
    case PROP_RESULT_TEXT:
      g_value_take_string (value, gn_connection_row_dup_result_text (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_connection_row_class_init (GnConnectionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gn_connection_row_finalize;
  object_class->get_property = gn_connection_row_get_property;

  properties[PROP_ID] = g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, ro);
  properties[PROP_APP] = g_param_spec_string ("app", NULL, NULL, NULL, ro);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, ro);
  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, 0, G_MAXINT, 0, ro);
  properties[PROP_KIND_TEXT] = g_param_spec_string ("kind-text", NULL, NULL, NULL, ro);
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, 0, G_MAXINT, 0, ro);
  properties[PROP_STATE_TEXT] = g_param_spec_string ("state-text", NULL, NULL, NULL, ro);
  properties[PROP_CLIENT] = g_param_spec_string ("client", NULL, NULL, NULL, ro);
  properties[PROP_STARTED] = g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_STARTED_TEXT] = g_param_spec_string ("started-text", NULL, NULL, NULL, ro);
  properties[PROP_DURATION] = g_param_spec_int64 ("duration", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_DURATION_TEXT] = g_param_spec_string ("duration-text", NULL, NULL, NULL, ro);
  properties[PROP_BYTES_UP] = g_param_spec_uint64 ("bytes-up", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_UP_TEXT] = g_param_spec_string ("bytes-up-text", NULL, NULL, NULL, ro);
  properties[PROP_BYTES_DOWN] = g_param_spec_uint64 ("bytes-down", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_DOWN_TEXT] = g_param_spec_string ("bytes-down-text", NULL, NULL, NULL, ro);
  properties[PROP_RATE] = g_param_spec_uint64 ("rate", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_RATE_TEXT] = g_param_spec_string ("rate-text", NULL, NULL, NULL, ro);
  properties[PROP_CLOSED] = g_param_spec_boolean ("closed", NULL, NULL, FALSE, ro);
  properties[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, ro);
  /* For the cells: "closed" greys out a finished connection. */
  properties[PROP_CSS_CLASSES] = g_param_spec_boxed ("css-classes", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_RESULT] = g_param_spec_int ("result", NULL, NULL, 0, GN_CONNECTION_RESULT_FAILED,
                                              GN_CONNECTION_RESULT_PENDING, ro);
  properties[PROP_RESULT_TEXT] = g_param_spec_string ("result-text", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_connection_row_init (GnConnectionRow *self)
{
}

static void
set_string (GnConnectionRow  *self,
            char            **field,
            const char       *value,
            guint             prop)
{
  if (gn_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_duration (GnConnectionRow *self,
              gint64           duration_s)
{
  if (duration_s < 0)
    duration_s = 0;
  if (self->duration_s == duration_s)
    return;
  self->duration_s = duration_s;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION_TEXT]);
}

static void
set_rate (GnConnectionRow *self,
          guint64          rate)
{
  if (self->rate == rate)
    return;
  self->rate = rate;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE_TEXT]);
}

GnConnectionRow *
gn_connection_row_new (const GnConnectionInfo *info,
                       gint64                  now_us)
{
  GnConnectionRow *self;

  g_return_val_if_fail (info != NULL, NULL);

  self = g_object_new (GN_TYPE_CONNECTION_ROW, NULL);
  self->id = info->id;
  self->host = g_strdup (info->host);
  self->port = info->port;
  self->client = g_strdup_printf ("%s:%u", info->client_address ? info->client_address : "?",
                                  info->client_port);
  self->detail = format_detail (info);
  self->kind = info->kind;
  self->state = info->state;
  self->started_at = info->started_at;
  self->ended_at = info->ended_at;
  self->bytes_up = info->bytes_up;
  self->bytes_down = info->bytes_down;
  self->status = info->status;
  self->reason = g_strdup (info->reason);
  self->result = compute_result (self);
  self->tick_bytes = info->bytes_up + info->bytes_down;
  self->tick_time = now_us;
  if (self->ended_at != 0)
    self->duration_s = (self->ended_at - self->started_at) / G_USEC_PER_SEC;
  else
    self->duration_s = MAX (0, (now_us - self->started_at) / G_USEC_PER_SEC);

  return self;
}

/* Copies what changed from @info and notifies only those properties. */
void
gn_connection_row_update (GnConnectionRow        *self,
                          const GnConnectionInfo *info)
{
  GObject *object = (GObject *) self;
  g_autofree char *detail = NULL;
  gboolean was_closed;
  gboolean result_text_changed = FALSE;

  g_return_if_fail (GN_IS_CONNECTION_ROW (self));
  g_return_if_fail (info != NULL && info->id == self->id);

  g_object_freeze_notify (object);

  set_string (self, &self->host, info->host, PROP_HOST);
  detail = format_detail (info);
  set_string (self, &self->detail, detail, PROP_DETAIL);

  if (self->port != info->port)
    {
      self->port = info->port;
      g_object_notify_by_pspec (object, properties[PROP_PORT]);
    }
  if (self->kind != info->kind)
    {
      self->kind = info->kind;
      g_object_notify_by_pspec (object, properties[PROP_KIND]);
      g_object_notify_by_pspec (object, properties[PROP_KIND_TEXT]);
      g_object_notify_by_pspec (object, properties[PROP_CSS_CLASSES]);
    }
  was_closed = self->state == GN_CONNECTION_STATE_CLOSED;
  if (self->state != info->state)
    {
      self->state = info->state;
      g_object_notify_by_pspec (object, properties[PROP_STATE]);
      g_object_notify_by_pspec (object, properties[PROP_STATE_TEXT]);
      if (was_closed != (self->state == GN_CONNECTION_STATE_CLOSED))
        {
          g_object_notify_by_pspec (object, properties[PROP_CLOSED]);
          g_object_notify_by_pspec (object, properties[PROP_CSS_CLASSES]);
        }
    }
  if (self->bytes_up != info->bytes_up)
    {
      self->bytes_up = info->bytes_up;
      g_object_notify_by_pspec (object, properties[PROP_BYTES_UP]);
      g_object_notify_by_pspec (object, properties[PROP_BYTES_UP_TEXT]);
    }
  if (self->bytes_down != info->bytes_down)
    {
      self->bytes_down = info->bytes_down;
      g_object_notify_by_pspec (object, properties[PROP_BYTES_DOWN]);
      g_object_notify_by_pspec (object, properties[PROP_BYTES_DOWN_TEXT]);
    }
  if (info->ended_at != 0 && self->ended_at != info->ended_at)
    {
      self->ended_at = info->ended_at;
      set_duration (self, (self->ended_at - self->started_at) / G_USEC_PER_SEC);
      set_rate (self, 0);
    }
  if (self->status != info->status)
    {
      self->status = info->status;
      result_text_changed = TRUE;
    }
  if (gn_set_str (&self->reason, info->reason))
    result_text_changed = TRUE;
  update_result (self, result_text_changed);

  g_object_thaw_notify (object);
}

/* Once a second: the duration of open rows grows, the rate is what moved
 * since the previous tick. */
void
gn_connection_row_tick (GnConnectionRow *self,
                        gint64           now_us)
{
  guint64 total;
  gint64 elapsed;

  g_return_if_fail (GN_IS_CONNECTION_ROW (self));

  total = self->bytes_up + self->bytes_down;
  elapsed = now_us - self->tick_time;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->state == GN_CONNECTION_STATE_CLOSED)
    set_rate (self, 0);
  else
    {
      set_duration (self, (now_us - self->started_at) / G_USEC_PER_SEC);
      if (elapsed > 0)
        set_rate (self, (total - MIN (total, self->tick_bytes)) * G_USEC_PER_SEC / (guint64) elapsed);
    }
  g_object_thaw_notify (G_OBJECT (self));

  self->tick_bytes = total;
  self->tick_time = now_us;
}

guint64
gn_connection_row_get_id (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->id;
}

const char *
gn_connection_row_get_host (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), NULL);
  return self->host;
}

guint
gn_connection_row_get_port (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->port;
}

GnConnectionKind
gn_connection_row_get_kind (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->kind;
}

GnConnectionState
gn_connection_row_get_state (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->state;
}

guint64
gn_connection_row_get_bytes_up (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->bytes_up;
}

guint64
gn_connection_row_get_bytes_down (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), 0);
  return self->bytes_down;
}

gboolean
gn_connection_row_get_closed (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), FALSE);
  return self->state == GN_CONNECTION_STATE_CLOSED;
}

/* The program that made the connection (GnAppResolver), once known. */
void
gn_connection_row_set_app (GnConnectionRow *self,
                           const char      *app)
{
  g_return_if_fail (GN_IS_CONNECTION_ROW (self));

  if (gn_set_str (&self->app, app))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_APP]);
}

const char *
gn_connection_row_get_app (GnConnectionRow *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_ROW (self), NULL);
  return self->app;
}
