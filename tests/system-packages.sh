#!/usr/bin/env bash
# The Debian packages the tests call (`npm test` runs this first): Chromium for the browser
# tests, dcmtk and gdcm as native reference decoders. Installs what is missing when it may
# (root, or sudo without a password); otherwise stops at once with the one line to run.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v dcmdjpeg >/dev/null || need+=(dcmtk)
command -v gdcmconv >/dev/null || need+=(libgdcm-tools)
[ ${#need[@]} -eq 0 ] && exit 0

line="sudo apt-get install ${need[*]}"
if ! command -v apt-get >/dev/null; then
  echo "The tests need Debian's ${need[*]} (no apt-get here): install them, e.g. $line" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "The tests need Debian packages this user cannot install. Run: $line" >&2
  exit 1
fi
echo "Installing the Debian packages the tests need: ${need[*]}" >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
