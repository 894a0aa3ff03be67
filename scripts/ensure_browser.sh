#!/usr/bin/env bash
# Make sure Debian's headless Chromium and its driver are installed for the browser tests
# (tests/browser/). Playwright's own browser download is not used: it needs the internet,
# and Debian's chromium is patched and kept up to date by the distribution. Idempotent.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
echo "== installing chromium and chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "chromium did not install" >&2; exit 1; }
