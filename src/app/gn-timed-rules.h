/* gn-timed-rules.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rules that end by themselves: "pause protection for 5 / 15 / 60 minutes"
 * (the system proxy stays on GuardNest, nothing is blocked, the status
 * says so with a countdown) and "allow this domain for N minutes". They
 * are saved with their expiry (`$XDG_CONFIG_HOME/guardnest/timed-rules.json`),
 * so they survive a restart of the app — and end while it is not running.
 * GnSession applies them: the engine gets no rules while paused, and the
 * temporary allows go into the blocklist manager's build.
 *
 * The clock can be replaced (tests): every decision reads the injected
 * wall clock, and gn_timed_rules_check() expires what is due at once.
 *
 * Threading: the owner (main) thread; "changed" is emitted on its
 * thread-default main context.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GN_TYPE_TIMED_RULES (gn_timed_rules_get_type ())
G_DECLARE_FINAL_TYPE (GnTimedRules, gn_timed_rules, GN, TIMED_RULES, GObject)

/* Wall-clock time in microseconds (g_get_real_time() by default). */
typedef gint64 (*GnClockFunc) (gpointer user_data);

#define GN_TIMED_RULES_MAX_MINUTES (7 * 24 * 60)

/* @path: (nullable): the file, NULL for the user's config dir. */
GnTimedRules *gn_timed_rules_new              (const char    *path);
void          gn_timed_rules_set_clock        (GnTimedRules  *self,
                                               GnClockFunc    clock,
                                               gpointer       user_data);
/* Reads the file; what has expired meanwhile is dropped. A damaged file is
 * kept aside as .bad and reported; nothing is paused or allowed then. */
gboolean      gn_timed_rules_load             (GnTimedRules  *self,
                                               GError       **error);

/* 1 to GN_TIMED_RULES_MAX_MINUTES. Saved at once. */
gboolean      gn_timed_rules_pause            (GnTimedRules  *self,
                                               guint          minutes,
                                               GError       **error);
gboolean      gn_timed_rules_resume           (GnTimedRules  *self,
                                               GError       **error);
/* Microseconds of wall-clock time when the pause ends, 0 when not paused. */
gint64        gn_timed_rules_get_paused_until (GnTimedRules  *self);

/* @domain is normalised (lower case, punycode); an invalid name is an
 * error. A second allow of the same domain moves its expiry. */
gboolean      gn_timed_rules_allow            (GnTimedRules  *self,
                                               const char    *domain,
                                               guint          minutes,
                                               GError       **error);
gboolean      gn_timed_rules_revoke           (GnTimedRules  *self,
                                               const char    *domain,
                                               GError       **error);
/* Returns: (transfer full): the domains allowed now, NULL-terminated. */
GStrv         gn_timed_rules_dup_allowed      (GnTimedRules  *self);
/* When @domain's allow ends (microseconds), 0 when it is not allowed. */
gint64        gn_timed_rules_get_allowed_until (GnTimedRules *self,
                                                const char   *domain);

/* Expires what is due now (the timer does this by itself). */
void          gn_timed_rules_check            (GnTimedRules  *self);

/* Signal "changed": a pause or an allow began or ended. */

G_END_DECLS
