#!/usr/bin/env bash
# `make bench`: every benchmark in bench/*.py, each bounded in time, each printing the
# ratios it measured in its own run. nginx and wrk come from Debian's packages: installed
# here when missing and apt-get can (as root), else the line to run is printed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LIMIT="${BENCH_TIMEOUT:-600}"  # seconds per benchmark

need=()
command -v nginx >/dev/null || need+=(nginx-light libnginx-mod-http-brotli-static)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]} from Debian's packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null \
      || echo "could not install ${need[*]}: bench/public_page.py will say what is missing"
  else
    echo "missing ${need[*]}: run  sudo apt-get install ${need[*]}"
  fi
fi

status=0
for script in bench/*.py; do
  grep -q "^def main(" "$script" || continue  # a helper the benchmarks import (receivers.py)
  echo
  echo "=== $script (at most ${LIMIT}s)"
  env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL timeout --kill-after 10 "$LIMIT" "$PY" "$script"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "=== $script exited with $rc$([ $rc -eq 124 ] && echo ' (timed out)')"
    status=1
  fi
done
exit $status
