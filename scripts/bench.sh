#!/usr/bin/env bash
# `make bench`: every benchmark in bench/*.py, each bounded in time, each printing the
# ratios it measured in its own run. nginx, its brotli module and wrk come from Debian's
# packages: installed here when missing and apt-get can (as root), else the line to run is
# printed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LIMIT="${BENCH_TIMEOUT:-600}"  # seconds per benchmark

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
# brotli_static, for the export benchmark's .br files: a module Debian packages apart, so
# an nginx that is already there may lack it.
ls /etc/nginx/modules-enabled/*brotli* >/dev/null 2>&1 || need+=(libnginx-mod-http-brotli-static)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null 2>&1
    have=()
    for package in "${need[@]}"; do  # only what this Debian has (bookworm has them all)
      if apt-cache policy "$package" 2>/dev/null | grep -q "Candidate: [^(]"; then
        have+=("$package")
      else
        echo "$package is not in this Debian's packages: the benchmark goes without it"
      fi
    done
    if [ ${#have[@]} -gt 0 ]; then
      echo "installing ${have[*]} from Debian's packages"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${have[@]}" >/dev/null \
        || echo "could not install ${have[*]}: bench/public_page.py will say what is missing"
    fi
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
