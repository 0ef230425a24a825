#!/bin/sh
# The browser tests drive Debian's Chromium. Install it when it is missing (as root, as on CI);
# when it cannot be had the browser test fails and says why, it is never skipped.
set -u
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    APT="apt-get"
elif command -v sudo >/dev/null 2>&1; then
    APT="sudo -n apt-get"
else
    echo "chromium is missing and this user cannot install it; the browser test will fail" >&2
    exit 0
fi
DEBIAN_FRONTEND=noninteractive $APT install -y chromium \
    || { DEBIAN_FRONTEND=noninteractive $APT update && DEBIAN_FRONTEND=noninteractive $APT install -y chromium; } \
    || echo "could not install chromium; the browser test will fail" >&2
exit 0
