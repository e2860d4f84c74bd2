/* gn-block-notifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decides when to tell the user that GuardNest blocked something. A
 * blocked HTTPS site shows only the browser's "tunnel connection failed",
 * so the user cannot know we did it; a desktop notification says so — but
 * only for domains not seen blocked before today (local day), at most one
 * per interval (10 s by default), grouped ("12 domains blocked, e.g.
 * ads.example, …"), never one per request.
 *
 * It is fed the connection registry's batches and knows no widget: the
 * window turns each "group" into a GNotification, headless into one log
 * line. The clock can be replaced (tests); gn_block_notifier_check() sends
 * what is due at once.
 *
 * Threading: the owner (main) thread; "group" is emitted on the
 * thread-default main context of the thread that created it.
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"
#include "gn-timed-rules.h"   /* GnClockFunc */

G_BEGIN_DECLS

#define GN_TYPE_BLOCK_NOTIFIER (gn_block_notifier_get_type ())
G_DECLARE_FINAL_TYPE (GnBlockNotifier, gn_block_notifier, GN, BLOCK_NOTIFIER, GObject)

#define GN_BLOCK_NOTIFIER_INTERVAL_MS 10000  /* at most one group per 10 s */
#define GN_BLOCK_NOTIFIER_SETTLE_MS    1000  /* a page's burst gathers first */
#define GN_BLOCK_NOTIFIER_MAX_EXAMPLES    3

GnBlockNotifier *gn_block_notifier_new          (void);
void             gn_block_notifier_set_clock    (GnBlockNotifier         *self,
                                                 GnClockFunc              clock,
                                                 gpointer                 user_data);
/* Shortest time between two groups, and the time a first domain waits for
 * others of the same page, in milliseconds. */
void             gn_block_notifier_set_timing   (GnBlockNotifier         *self,
                                                 guint                    interval_ms,
                                                 guint                    settle_ms);
/* Off: nothing is gathered (what is pending is dropped); domains are still
 * remembered as seen, so turning it on does not announce them. */
void             gn_block_notifier_set_enabled  (GnBlockNotifier         *self,
                                                 gboolean                 enabled);
gboolean         gn_block_notifier_get_enabled  (GnBlockNotifier         *self);

void             gn_block_notifier_apply_batch  (GnBlockNotifier         *self,
                                                 const GnConnectionBatch *batch);
/* One blocked request for @domain (what apply_batch does per record). */
void             gn_block_notifier_add_blocked  (GnBlockNotifier         *self,
                                                 const char              *domain);
/* Whether @domain was blocked before, today. */
gboolean         gn_block_notifier_seen_today   (GnBlockNotifier         *self,
                                                 const char              *domain);
/* Sends the pending group if it is due now (its timer does this itself). */
void             gn_block_notifier_check        (GnBlockNotifier         *self);

/* The words of a group: "ads.example blocked", or "12 domains blocked"
 * with "For example ads.example, b.example, c.example and 9 more". */
void             gn_block_notifier_format       (const char * const      *domains,
                                                 char                   **title,
                                                 char                   **body);

/* Signal "group" (GStrv domains, const char *title, const char *body):
 * new blocked domains to announce, in the order the batches reported them. */

G_END_DECLS
