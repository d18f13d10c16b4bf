#!/usr/bin/env bash
# Installs Debian packages by name: apt-get update, then install without recommends. Used by pg.sh
# and chromium.sh when a tool the tests need is missing. Runs apt through sudo when not root, waits
# for another apt run's lock instead of failing, and prints how long the install took (stderr).
# Only Debian's own package sources are used; nothing is downloaded from anywhere else.
# Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PACKAGE..." >&2
  exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "apt-install: need root or sudo to install $* (missing: install them with your package manager)" >&2
  exit 1
fi

started=$(date +%s%N)
# Another helper or a developer may be running apt at the same moment: wait up to 5 minutes.
apt_options=(-o DPkg::Lock::Timeout=300 -qq)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y --no-install-recommends "$@" >&2
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
printf 'apt-install: installed %s in %d.%01d s\n' "$*" $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) >&2
