#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright cannot download its
# own browser here). Install it when missing and we are root; otherwise say how to get one.
set -u
if [ -x /usr/bin/chromium ] || [ -n "${CHROMIUM_PATH:-}" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the browser tests will be skipped." >&2
else
  echo "note: no Chromium at /usr/bin/chromium. Install it (sudo apt-get install chromium) or set" \
       "CHROMIUM_PATH to a Chromium binary; until then the browser tests are skipped." >&2
fi
exit 0
