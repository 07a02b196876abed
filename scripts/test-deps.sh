#!/usr/bin/env bash
# What the suite needs besides the venv: Debian's Chromium (browser tests), wrk (the short
# soak), nginx (the static export test), axe-core, standardwebhooks and statuspage.io from
# npm (package-lock.json), and the Python API clients of requirements-clients.txt. Installed
# when missing and this user can (root with apt-get); else the command to run is printed and
# the tests that need it fail saying the same.
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} from Debian's packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
      || echo "could not install ${missing[*]}"
  else
    echo "missing ${missing[*]}: run  sudo apt-get install -y ${missing[*]}"
  fi
fi

if ! cmp -s package-lock.json node_modules/.ci-package-lock.json 2>/dev/null; then
  if command -v npm >/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.ci-package-lock.json
  else
    echo "missing npm (Node.js): the browser tests need axe-core from npm"
  fi
fi
# Third-party API clients the compatibility tests drive (tests/clients/): --no-deps, as
# their own pins clash with requirements.txt (see requirements-clients.txt).
if ! .venv/bin/python -m pip install --quiet --no-deps -r requirements-clients.txt; then
  echo "could not install requirements-clients.txt: tests/clients will fail"
fi
exit 0
