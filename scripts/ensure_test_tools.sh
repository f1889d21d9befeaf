#!/usr/bin/env bash
# Debian packages the tests use beyond pip: Chromium for the browser tests (driven by
# Playwright, which cannot download its own browser here) and Tesseract, the OCR engine the
# benchmark compares against. Install what is missing when we are root; otherwise say how.
set -u
need=()
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then need+=(chromium); fi
if ! command -v tesseract >/dev/null; then need+=(tesseract-ocr); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${need[*]} for the tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
    || echo "warning: could not install ${need[*]}; the tests that need them will be skipped." >&2
else
  echo "note: missing ${need[*]}. Install them (sudo apt-get install ${need[*]}; or set" \
       "CHROMIUM_PATH to a Chromium binary); until then the tests that need them are skipped." >&2
fi
exit 0
