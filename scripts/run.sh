#!/usr/bin/env bash
# `make run`: migrate, apply the config, then start the demo target, the web server, a Celery
# worker, Celery beat and the monitoring watchdog, each under scripts/supervise.py (restarted
# when it exits, or when it hangs if it has a heartbeat); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
export PORT="${PORT:-8000}"
export STATUSPAGE_VAR_DIR="$(realpath -m "${STATUSPAGE_VAR_DIR:-var}")"
export STATUSPAGE_CONFIG="${STATUSPAGE_CONFIG:-examples/reserve-plus.yaml}"
# Feeds and links name this instance (a config without `page.url`), not another one's port.
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${PORT}}"
export DEMO_TARGET="${DEMO_TARGET:-1}"
export DEMO_TARGET_PORT="${DEMO_TARGET_PORT:-8001}"
export DEMO_TARGET_URL="${DEMO_TARGET_URL:-http://127.0.0.1:${DEMO_TARGET_PORT}}"
# The demo's probes read these from the worker's environment (secrets never enter the DB).
export RESERVE_BASE_URL="${RESERVE_BASE_URL:-${DEMO_TARGET_URL}/reserve}"
export ONEID_BASE_URL="${ONEID_BASE_URL:-${DEMO_TARGET_URL}/oneid}"
export CANARY_PHONE="${CANARY_PHONE:-+380500000001}"
export CANARY_CODE="${CANARY_CODE:-000000}"
export CANARY_PASSPORT="${CANARY_PASSPORT:-AA0000001}"
export PROBE_REGIONS="${PROBE_REGIONS:-default}"
# Probes read only the variables listed here (never the service's own settings), and reach
# loopback only because the demo target listens there (docs/security.md).
export PROBE_ENV_ALLOW="${PROBE_ENV_ALLOW-$($PY -c 'import demo_target; print(demo_target.PROBE_ENV)')}"
if [ "$DEMO_TARGET" != "0" ]; then
  export PROBE_ALLOWED_NETWORKS="${PROBE_ALLOWED_NETWORKS-$($PY -c 'import demo_target; print(demo_target.LOOPBACK)')}"
fi
LOGS="$STATUSPAGE_VAR_DIR/logs"
mkdir -p "$LOGS"
rm -rf "$STATUSPAGE_VAR_DIR/metrics"  # per-process metric files of an earlier run

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py apply_config "$STATUSPAGE_CONFIG"
$PY manage.py signing_key >/dev/null  # a laptop signing key in the var dir, kept across runs
# An admin who is alerted: on a laptop the console email backend prints the alerts into the
# logs (EMAIL_BACKEND and ONCALL_EMAIL change that), so a drill reaches someone.
ONCALL_EMAIL="${ONCALL_EMAIL:-oncall@localhost}"
LOGIN="$($PY manage.py oncall add oncall --role admin --email "$ONCALL_EMAIL")"
$PY manage.py render_public >/dev/null  # the first visitors read rendered pages too

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM EXIT

start() {  # name, command… (HANG_AFTER=s before it: killed and restarted after s without a heartbeat)
  local name="$1"; shift
  $PY scripts/supervise.py "$name" --run-dir "$STATUSPAGE_VAR_DIR/run" ${HANG_AFTER:+--hang-after "$HANG_AFTER"} \
    -- "$@" >>"$LOGS/$name.log" 2>&1 &
  pids+=($!)
}

if [ "$DEMO_TARGET" != "0" ]; then
  start demo-target $PY -m demo_target --host 127.0.0.1 --port "$DEMO_TARGET_PORT"
fi
QUEUES="celery$(printf ',probes.%s' ${PROBE_REGIONS//,/ })"
start web bash scripts/web.sh  # granian ×2 (WEB_SERVER=gunicorn for gunicorn gthread)
# Probes only (the dispatcher tick and the runs): renders and webhook fan-out never take
# its slots (docs/scaling.md, "Sizing workers"). A thread pool, not prefork: one SIGKILLed
# prefork child left the others waiting on the pool's shared lock and monitoring went
# silently blind; probes wait on the network, so threads run them as fast
# (docs/operations.md has the figures). The dispatcher's tick is its heartbeat: 60 s
# without one (every slot held that long is a hang too) and it is killed and restarted.
HANG_AFTER=60 start worker .venv/bin/celery -A statuspage worker -Q "$QUEUES" --pool threads \
  --concurrency "${WORKER_CONCURRENCY:-8}" --loglevel INFO --hostname "worker-$PORT@%h" --without-gossip --without-mingle
# Renders (one at a time: render_tasks) and webhook fan-out/deliveries: 2 slots, so a
# render does not hold back a delivery. Niced: on a shared core, probes and the page first.
# It writes no heartbeat: restarted when it exits.
start render-worker nice -n "${RENDER_WORKER_NICE:-10}" .venv/bin/celery -A statuspage worker -Q render,webhooks \
  --concurrency "${RENDER_WORKER_CONCURRENCY:-2}" --loglevel INFO --hostname "render-$PORT@%h" \
  --without-gossip --without-mingle
HANG_AFTER=30 start beat .venv/bin/celery -A statuspage beat --loglevel INFO \
  --schedule "$STATUSPAGE_VAR_DIR/celerybeat-schedule"
HANG_AFTER=30 start watchdog $PY manage.py watch_monitoring  # alerts on-call when monitoring goes blind

for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
cat <<MSG

  Status page:    http://127.0.0.1:$PORT/
  On-call admin:  http://127.0.0.1:$PORT/admin/   (user: oncall, role admin)
$(echo "$LOGIN" | sed 's/^/  /')
  On-call alerts: $( [ "${EMAIL_BACKEND:-}" = "" ] || [ "${EMAIL_BACKEND}" = "django.core.mail.backends.console.EmailBackend" ] \
                     && echo "emailed to $ONCALL_EMAIL by the console backend: printed in $LOGS/render-worker.log (and watchdog.log)" \
                     || echo "emailed to $ONCALL_EMAIL through $EMAIL_BACKEND")
                  test one: .venv/bin/python manage.py oncall test oncall
  API docs:       http://127.0.0.1:$PORT/api/docs/
  Demo target:    $([ "$DEMO_TARGET" != "0" ] && echo "$DEMO_TARGET_URL  (rehearse an outage: .venv/bin/python manage.py drill wrong_deferral)" || echo "off")
  Logs:           $LOGS/
  Ctrl-C stops everything.

MSG

# The supervisors restart what exits; one of them exiting means something is badly wrong.
wait -n "${pids[@]}" || true
echo "a supervisor exited; see $LOGS/"
