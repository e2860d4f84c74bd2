/* gn-protection-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnProtection's state, shared by its two files: gn-protection.c (the
 * state machine, status line, GObject) and gn-protection-os.c (the system
 * proxy and the engine's configuration).
 *
 * Threading: main thread only.
 */

#pragma once

#include "gn-protection.h"

G_BEGIN_DECLS

struct _GnProtection
{
  GObject            parent_instance;

  GnEngine          *engine;        /* (owned) */
  GnEngineConfig    *base_config;   /* (owned) what the user chose, before the upstream policy */
  GnOsProxyGuard    *guard;         /* (owned) (nullable) */
  char              *os_hint;       /* (owned) (nullable) why the OS proxy is not ours */
  gboolean           restore_no_proxy;
  GCancellable      *cancellable;   /* (owned) */
  GnProtectionState  state;
  gboolean           enabled;
  char              *status_text;   /* (owned) */
  char              *hint;          /* (owned) (nullable) */
  char              *last_result;   /* (owned) (nullable) */
  GError            *error;         /* (owned) (nullable) why the state is ERROR */
  guint              start_id;
  gulong             status_id;
  gulong             draining_id;
  gint64             restart_began;
  gint64             paused_until;  /* wall clock µs, 0: blocking */
  guint              countdown_id;
  guint64            n_rules;
  GnRulesState       rules_state;
  char              *rules_reason;  /* (owned) (nullable) */
};

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_GUARD,
  PROP_ENABLED,
  PROP_STATE,
  PROP_STATUS_TEXT,
  PROP_HINT,
  PROP_LAST_RESULT,
  PROP_BUSY,
  PROP_N_RULES,
  PROP_RULES_STATE,
  N_PROPS
};

void     _gn_protection_say                 (GnProtection   *self,
                                             const char     *message);
void     _gn_protection_set_string          (GnProtection   *self,
                                             char          **field,
                                             const char     *value,
                                             guint           prop);
void     _gn_protection_apply_os_proxy      (GnProtection   *self);
gboolean _gn_protection_restore_os_proxy    (GnProtection   *self);
void     _gn_protection_update_engine_config (GnProtection  *self);
void     _gn_protection_changed_by_other_cb (GnOsProxyGuard *guard,
                                             const char     *description,
                                             GnProtection   *self);

G_END_DECLS
