#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keeps the two Windows recipes true to each other, as TAP (meson test
# windows-recipes, Linux only): the MSYS2 recipe with its GitHub workflow
# (build-aux/msys2/build-installer.sh, .github/workflows/windows.yml) and the
# cross build that CI runs under Wine (build-aux/windows/make-installer.sh).
#   check-recipes.py SOURCE_ROOT
# Checked: the workflow parses as YAML and is a Windows job; it builds with
# build-installer.sh, runs the Windows tests on the runner with the same
# meson test command as build-installer.sh, and uploads the installer under
# the name both recipes write; every bash step of it passes shellcheck; both
# recipes hand makensis the same NSIS script; the installers have the same
# layout (TLS module, schemas, translation domains, COPYING, bin/ for the
# DLLs) and the same file name.
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
n = 0
failed = False


def ok(desc, cond, detail=""):
    global n, failed
    n += 1
    if not cond:
        for line in str(detail).splitlines():
            print(f"# {line}")
    print(f"{'ok' if cond else 'not ok'} {n} - {desc}")
    if not cond:
        failed = True


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


msys2 = read("build-aux/msys2/build-installer.sh")
cross = read("build-aux/windows/make-installer.sh")
workflow_text = read(".github/workflows/windows.yml")

try:
    workflow = yaml.safe_load(workflow_text)
    error = ""
except yaml.YAMLError as e:
    workflow, error = None, e
ok("windows.yml parses as YAML", isinstance(workflow, dict), error)
if not isinstance(workflow, dict):
    print(f"1..{n}")
    sys.exit(1)

jobs = workflow.get("jobs") or {}
steps = []
for job in jobs.values():
    ok(f"job runs on Windows ({job.get('runs-on')})",
       str(job.get("runs-on", "")).startswith("windows-"))
    shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", "bash")
    for step in job.get("steps") or []:
        if "run" in step:
            steps.append((step.get("name", "?"), step.get("shell", shell), step["run"]))
    # PyYAML reads the key 'on' as True.
ok("workflow runs on push, pull_request", all(
    k in (workflow.get("on") or workflow.get(True) or {}) for k in ("push", "pull_request")))

runs = "\n".join(run for _, _, run in steps)
ok("workflow builds with build-aux/msys2/build-installer.sh",
   re.search(r"^bash build-aux/msys2/build-installer\.sh\b", runs, re.M) is not None)

# The tests: the same command as in build-installer.sh, on its build dir.
m = re.search(r'meson test -C "\$build" (.*)$', msys2, re.M)
script_args = m.group(1).strip() if m else None
m = re.search(r"^meson test -C _build/msys2/build (.*)$", runs, re.M)
workflow_args = m.group(1).strip() if m else None
ok("workflow runs the Windows tests on the runner (meson test -C _build/msys2/build)",
   workflow_args is not None, runs)
ok("with the options build-installer.sh uses", script_args is not None and
   script_args == workflow_args, f"script: {script_args}\nworkflow: {workflow_args}")
ok("build-installer.sh builds in _build/msys2/build",
   re.search(r"^top=\$PWD/_build/msys2$", msys2, re.M) is not None and
   re.search(r"^build=\$top/build$", msys2, re.M) is not None)

shellcheck = shutil.which("shellcheck")
for name, shell, run in steps:
    if not (shell.startswith("msys2") or shell.startswith("bash")):
        continue
    if shellcheck is None:
        ok(f"shellcheck the step '{name}'", False, "shellcheck not found")
        continue
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as f:
        f.write(run)
        f.flush()
        r = subprocess.run([shellcheck, "-s", "bash", f.name], capture_output=True, text=True)
    ok(f"shellcheck the step '{name}'", r.returncode == 0, r.stdout + r.stderr)

nsis_re = re.compile(r"makensis\b[^\n]*(?:\\\n[^\n]*)*?(build-aux/msys2/guardnest\.nsi)")
ok("both recipes use build-aux/msys2/guardnest.nsi",
   nsis_re.search(msys2) is not None and nsis_re.search(cross) is not None)

tls_re = re.compile(r"lib/gio/modules/(libgio\w+\.dll)")
tls = (sorted(set(tls_re.findall(msys2))), sorted(set(tls_re.findall(cross))))
ok("same GIO TLS module in lib/gio/modules", tls[0] == tls[1] and len(tls[0]) == 1, tls)
cache = ("gio-querymodules" in msys2, "gio-querymodules" in cross)
ok("both or neither write the GIO module cache", cache[0] == cache[1], cache)

for what, pat in (
    ("compiled schemas in share/glib-2.0/schemas",
     r'glib-compile-schemas "\$stage/share/glib-2\.0/schemas"'),
    ("COPYING in share/doc/guardnest",
     r'cp COPYING "\$stage/share/doc/guardnest/COPYING"'),
    ("DLLs gathered into bin/", r'cp "\$src" "\$stage/bin/"'),
):
    ok(f"both: {what}", re.search(pat, msys2) is not None and re.search(pat, cross) is not None)

domain_re = re.compile(r"-name '([\w.-]+\.mo)'")
domains = (sorted(domain_re.findall(msys2)), sorted(domain_re.findall(cross)))
ok("same translation domains from the stack", domains[0] == domains[1] and domains[0], domains)

name_re = re.compile(r"/GuardNest-\$version-x86_64-setup\.exe")
ok("same installer name GuardNest-VERSION-x86_64-setup.exe",
   name_re.search(msys2) is not None and name_re.search(cross) is not None)
uploads = [s for j in jobs.values() for s in j.get("steps") or []
           if str(s.get("uses", "")).startswith("actions/upload-artifact")]
paths = "\n".join(str((s.get("with") or {}).get("path", "")) for s in uploads)
ok("workflow uploads _build/msys2/GuardNest-*-x86_64-setup.exe",
   "_build/msys2/GuardNest-*-x86_64-setup.exe" in paths, paths)

print(f"1..{n}")
sys.exit(1 if failed else 0)
