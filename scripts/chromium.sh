#!/usr/bin/env bash
# Prints the path of Debian's Chromium for the browser tests (playwright-core drives it headless),
# installing the `chromium` package first when /usr/bin/chromium is missing. Nothing but Debian's
# package is used: playwright's own browser download is never run.
# Usage: scripts/chromium.sh            (path on stdout, progress on stderr)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chromium=/usr/bin/chromium

if [ ! -x "$chromium" ]; then
  echo "chromium.sh: $chromium is missing; installing Debian's chromium package" >&2
  bash "$here/apt-install.sh" chromium
fi
if [ ! -x "$chromium" ]; then
  echo "chromium.sh: the chromium package is installed but $chromium is still missing" >&2
  exit 1
fi
echo "$chromium"
