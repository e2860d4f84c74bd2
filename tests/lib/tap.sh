# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced by the shell tests: TAP output, a temporary directory removed on
# exit, and the background processes started there killed on exit.
#
#   tap_init NAME     → $tmp; append started pids to the array pids
#   ok TEXT / not_ok TEXT; at the end: [ "$failed" -eq 0 ]

n=0
failed=0
pids=()

ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

tap_cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}

tap_init() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")
  trap tap_cleanup EXIT
}
