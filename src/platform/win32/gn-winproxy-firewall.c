/* gn-winproxy-firewall.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The optional Windows Firewall rule, through INetFwPolicy2 (COM). Off by
 * default: a listener on 127.0.0.1 needs no rule. Some users ask for one so
 * that the firewall never prompts; adding it needs administrator rights, so
 * "access denied" (and E_NOTIMPL from systems or Wine builds without the
 * firewall service) is reported as SKIPPED and never fails an enable.
 *
 * This is the ONE file that defines COM GUIDs (initguid.h before netfw.h);
 * the two CLSIDs are not in mingw-w64's netfw.h, so they are defined here.
 *
 * Threading: initialises COM (apartment-threaded) for the calling thread for
 * the duration of the call; callable from any thread that has not
 * initialised COM as multithreaded.
 */
#include "gn-winproxy.h"

#include <initguid.h>
#include <ole2.h>
#include <oleauto.h>
#include <netfw.h>
#include <stdio.h>

DEFINE_GUID (GN_CLSID_NetFwPolicy2, 0xe2b3c97f, 0x6ae1, 0x41ac,
             0x81, 0x7a, 0xf6, 0xf9, 0x21, 0x66, 0xd7, 0xdd);
DEFINE_GUID (GN_CLSID_NetFwRule, 0x2c5bc43e, 0x3369, 0x4c33,
             0xab, 0x0c, 0xbe, 0x94, 0x69, 0x67, 0x7a, 0xf4);

static BOOL
is_skippable (HRESULT hr)
{
  return hr == E_NOTIMPL || hr == E_ACCESSDENIED
         || hr == HRESULT_FROM_WIN32 (ERROR_ACCESS_DENIED)
         || hr == REGDB_E_CLASSNOTREG || hr == CLASS_E_CLASSNOTAVAILABLE
         || hr == HRESULT_FROM_WIN32 (ERROR_SERVICE_DOES_NOT_EXIST)
         || hr == HRESULT_FROM_WIN32 (ERROR_SERVICE_NOT_ACTIVE)
         || hr == HRESULT_FROM_WIN32 (EPT_S_NOT_REGISTERED);
}

static GnWpFirewallResult
finish (HRESULT hr, const wchar_t *what, GnWpError *error)
{
  if (SUCCEEDED (hr))
    return GN_WP_FIREWALL_DONE;
  if (is_skippable (hr))
    {
      gn_wp_set_error (error, (DWORD) hr, L"The firewall rule was not %ls: Windows did not "
                       L"allow it (0x%08lx). GuardNest works without it.", what,
                       (unsigned long) hr);
      return GN_WP_FIREWALL_SKIPPED;
    }
  gn_wp_set_error (error, (DWORD) hr, L"The firewall rule could not be %ls (0x%08lx).",
                   what, (unsigned long) hr);
  return GN_WP_FIREWALL_FAILED;
}

static HRESULT
get_rules (INetFwRules **rules)
{
  INetFwPolicy2 *policy = NULL;
  HRESULT hr = CoCreateInstance (&GN_CLSID_NetFwPolicy2, NULL, CLSCTX_INPROC_SERVER,
                                 &IID_INetFwPolicy2, (void **) &policy);

  *rules = NULL;
  if (FAILED (hr))
    return hr;
  hr = policy->lpVtbl->get_Rules (policy, rules);
  policy->lpVtbl->Release (policy);
  if (SUCCEEDED (hr) && *rules == NULL)
    hr = E_NOTIMPL;
  return hr;
}

static HRESULT
build_rule (const wchar_t *program, unsigned port, INetFwRule **out)
{
  INetFwRule *rule = NULL;
  wchar_t ports[8];
  BSTR name, description, app, local_ports, addresses;
  HRESULT hr;

  *out = NULL;
  hr = CoCreateInstance (&GN_CLSID_NetFwRule, NULL, CLSCTX_INPROC_SERVER, &IID_INetFwRule,
                         (void **) &rule);
  if (FAILED (hr))
    return hr;
  _snwprintf (ports, 8, L"%u", port);
  ports[7] = L'\0';
  name = SysAllocString (GN_WP_FIREWALL_RULE);
  description = SysAllocString (L"Lets programs on this computer reach GuardNest's "
                                L"filtering proxy.");
  app = SysAllocString (program);
  local_ports = SysAllocString (ports);
  addresses = SysAllocString (L"127.0.0.1");
  hr = rule->lpVtbl->put_Name (rule, name);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_Description (rule, description);
  if (SUCCEEDED (hr) && program != NULL)
    hr = rule->lpVtbl->put_ApplicationName (rule, app);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_Protocol (rule, NET_FW_IP_PROTOCOL_TCP);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_LocalPorts (rule, local_ports);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_RemoteAddresses (rule, addresses);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_Direction (rule, NET_FW_RULE_DIR_IN);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_Action (rule, NET_FW_ACTION_ALLOW);
  if (SUCCEEDED (hr))
    hr = rule->lpVtbl->put_Enabled (rule, VARIANT_TRUE);
  SysFreeString (name);
  SysFreeString (description);
  SysFreeString (app);
  SysFreeString (local_ports);
  SysFreeString (addresses);
  if (FAILED (hr))
    {
      rule->lpVtbl->Release (rule);
      return hr;
    }
  *out = rule;
  return S_OK;
}

GnWpFirewallResult
gn_wp_firewall_add (const wchar_t *program, unsigned port, GnWpError *error)
{
  INetFwRules *rules = NULL;
  INetFwRule *rule = NULL;
  HRESULT init = CoInitializeEx (NULL, COINIT_APARTMENTTHREADED);
  HRESULT hr = get_rules (&rules);

  if (SUCCEEDED (hr))
    {
      BSTR name = SysAllocString (GN_WP_FIREWALL_RULE);
      /* Replace an older rule (another port or path) rather than adding twins. */
      rules->lpVtbl->Remove (rules, name);
      SysFreeString (name);
      hr = build_rule (program, port, &rule);
    }
  if (SUCCEEDED (hr))
    hr = rules->lpVtbl->Add (rules, rule);
  if (rule != NULL)
    rule->lpVtbl->Release (rule);
  if (rules != NULL)
    rules->lpVtbl->Release (rules);
  if (SUCCEEDED (init))
    CoUninitialize ();
  return finish (hr, L"added", error);
}

GnWpFirewallResult
gn_wp_firewall_remove (GnWpError *error)
{
  INetFwRules *rules = NULL;
  HRESULT init = CoInitializeEx (NULL, COINIT_APARTMENTTHREADED);
  HRESULT hr = get_rules (&rules);

  if (SUCCEEDED (hr))
    {
      BSTR name = SysAllocString (GN_WP_FIREWALL_RULE);
      hr = rules->lpVtbl->Remove (rules, name);
      SysFreeString (name);
      rules->lpVtbl->Release (rules);
    }
  if (SUCCEEDED (init))
    CoUninitialize ();
  return finish (hr, L"removed", error);
}
