#!/usr/bin/env bash
# The web server of `make run` and of the benchmark (bench/public_page.py): granian, one
# process per core, serving statuspage.wsgi. Public pages are answered from rendered
# snapshots before Django runs (statuspage.public.snapshots), so the server's own cost per
# request is what is left: granian's Rust HTTP layer serves 2-3x the requests gunicorn
# gthread does on the same cores (docs/performance.md). WEB_SERVER=gunicorn runs gunicorn gthread (scripts/gunicorn.conf.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
BIND="${WEB_BIND:-127.0.0.1}"
WORKERS="${WEB_WORKERS:-2}"

case "${WEB_SERVER:-granian}" in
  granian)
    # Many blocking threads: granian hands a request to Python once its headers are in, and
    # a POST's thread then waits for the body; with 1 thread, two clients trickling a form
    # body starved every reader (issue 12). A waiting thread is idle outside the GIL, and
    # threads start only when requests need them. Headers must arrive within
    # WEB_HEADER_TIMEOUT_MS; the time for a body is bounded by the front (docs/nginx-front.conf).
    # Its own process group (set -m): a granian worker that gets Ctrl-C's SIGINT directly,
    # beside its main process, can hang on shutdown; the main process, told TERM, stops
    # them cleanly.
    set -m
    "$BIN/granian" --interface wsgi --host "$BIND" --port "$PORT" --workers "$WORKERS" \
      --blocking-threads "${WEB_THREADS:-256}" --backlog 4096 --respawn-failed-workers \
      --http1-header-read-timeout "${WEB_HEADER_TIMEOUT_MS:-5000}" \
      $([ "${WEB_ACCESS_LOG:-0}" = "1" ] && echo --access-log) \
      statuspage.wsgi:application &
    server=$!
    trap 'kill -TERM "$server" 2>/dev/null' INT TERM
    status=0
    while kill -0 "$server" 2>/dev/null; do wait "$server" || status=$?; done
    exit "$status" ;;
  gunicorn)
    exec "$BIN/gunicorn" statuspage.wsgi -c scripts/gunicorn.conf.py --bind "$BIND:$PORT" --workers "$WORKERS" ;;
  *)
    echo "WEB_SERVER must be granian or gunicorn" >&2; exit 2 ;;
esac
