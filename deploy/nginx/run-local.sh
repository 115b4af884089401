#!/usr/bin/env bash
# Demo on one machine: N Streamlit replicas of Magic Mirror behind nginx.
#
#   deploy/nginx/run-local.sh                  # 2 replicas on 8501, 8502; nginx on 8080
#   NGINX_PORT=9000 REPLICA_PORTS="8601 8602 8603" deploy/nginx/run-local.sh
#
# Settings (environment):
#   NGINX_PORT      port nginx listens on (127.0.0.1 only)      default 8080
#   REPLICA_PORTS   one port per replica, space separated        default "8501 8502"
#   SECRET          the shared server.cookieSecret (or STREAMLIT_SERVER_COOKIE_SECRET)
#                                                                default: a random one
#   RUN_DIR         nginx prefix, logs and replica logs          default: a new /tmp/mirror-nginx.XXXXXX
#   MIRROR_DATABASE_URL  shared feedback / saved-work store       default: sqlite file in RUN_DIR
#
# Open http://127.0.0.1:$NGINX_PORT/ . Ctrl-C stops nginx and every replica.
# Needs Debian's nginx (apt-get install nginx) and the project's venv (make setup).
set -euo pipefail

cd "$(dirname "$0")/../.."
NGINX_PORT="${NGINX_PORT:-8080}"
REPLICA_PORTS="${REPLICA_PORTS:-8501 8502}"
RUN_DIR="${RUN_DIR:-$(mktemp -d /tmp/mirror-nginx.XXXXXX)}"
HEALTH_TIMEOUT_S="${HEALTH_TIMEOUT_S:-120}"

command -v nginx >/dev/null || { echo "nginx is not installed: sudo apt-get install nginx" >&2; exit 1; }
if [ -x .venv/bin/streamlit ]; then STREAMLIT=.venv/bin/streamlit; PYTHON=.venv/bin/python
else STREAMLIT=streamlit; PYTHON=python3; fi

# Every replica must sign cookies with the same secret: Streamlit's XSRF cookie
# (and the login cookie, if auth is ever used) is made by one replica and may be
# checked by another, e.g. after a replica restarts and nginx moves the browser.
# Streamlit refuses --server.cookieSecret on the command line (it would show in
# `ps`); the environment variable is the same setting.
SECRET="${SECRET:-${STREAMLIT_SERVER_COOKIE_SECRET:-}}"
if [ -z "$SECRET" ]; then
  SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
fi
export STREAMLIT_SERVER_COOKIE_SECRET="$SECRET"
export MIRROR_DATABASE_URL="${MIRROR_DATABASE_URL:-sqlite:///$RUN_DIR/mirror.sqlite3}"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"

mkdir -p "$RUN_DIR/logs"
chmod 755 "$RUN_DIR"   # nginx's workers (user nobody when started as root) use its temp folders

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped; logs are in $RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

replicas=()
for port in $REPLICA_PORTS; do
  "$STREAMLIT" run Home.py \
    --server.port "$port" --server.address 127.0.0.1 --server.headless true \
    --server.fileWatcherType none \
    --browser.gatherUsageStats false \
    >"$RUN_DIR/replica-$port.log" 2>&1 &
  PIDS+=("$!")
  replicas+=(--replica "127.0.0.1:$port")
  echo "replica on 127.0.0.1:$port (pid $!, log $RUN_DIR/replica-$port.log)"
done

i=0
for port in $REPLICA_PORTS; do
  pid="${PIDS[$i]}"; i=$((i + 1))
  deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until [ "$("$PYTHON" - "$port" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_stcore/health", timeout=2) as r:
    print(r.read().decode().strip())
EOF
)" = ok ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "replica on port $port exited:" >&2
      tail -n 30 "$RUN_DIR/replica-$port.log" >&2
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "replica on port $port is not healthy after ${HEALTH_TIMEOUT_S}s:" >&2
      tail -n 30 "$RUN_DIR/replica-$port.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "replica on port $port is healthy"
done

"$PYTHON" deploy/nginx/render.py --listen "127.0.0.1:$NGINX_PORT" "${replicas[@]}" --prefix "$RUN_DIR" >/dev/null
nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf"
echo "nginx on http://127.0.0.1:$NGINX_PORT/ (config $RUN_DIR/nginx.conf, logs $RUN_DIR/logs/); Ctrl-C to stop"
nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
PIDS+=("$!")
wait "${PIDS[-1]}"
