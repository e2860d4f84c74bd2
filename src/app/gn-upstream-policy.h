/* gn-upstream-policy.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the engine's own outgoing traffic goes: the one rule, used by the
 * window and the headless mode alike (through GnProtection), so the same
 * saved settings always give the same way out.
 *
 *  1. An upstream the user saved (settings.ini `upstream-host`/`-port`)
 *     wins: it was chosen on purpose. The system's credentials go with it
 *     only when the system's proxy is that same host and port and no user
 *     name was saved (we never save passwords).
 *  2. Otherwise the user's own (company) proxy from the system settings,
 *     as the guard reports it (never our own address, never a dead
 *     loopback port), with its user name and password.
 *  3. Otherwise direct.
 *
 * Threading: pure functions, any thread.
 */

#pragma once

#include "gn-engine-config.h"

G_BEGIN_DECLS

typedef struct
{
  const char *host;      /* (nullable) NULL: the system has no usable proxy */
  guint16     port;
  const char *user;      /* (nullable) */
  const char *password;  /* (nullable) */
} GnSystemUpstream;

/* Returns: (transfer full): @base with upstream_* decided by the rule above.
 * @message: (out) (optional) (nullable): one sentence for the user when
 * the system's proxy is taken ("Using your proxy corp.example:8080 …"). */
GnEngineConfig *gn_upstream_policy_apply (const GnEngineConfig   *base,
                                          const GnSystemUpstream *system,
                                          char                  **message);

G_END_DECLS
