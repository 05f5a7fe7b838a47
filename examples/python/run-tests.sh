#!/usr/bin/env bash
# Proves the v1 spec serves another language: a Python client (pyzmq + protobuf from PyPI, stubs
# generated from proto/ by Debian's protoc) talks to a real `switchboard serve`. `make test-python`
# runs this; so does `make test`.
#
#   examples/python/run-tests.sh
#
# Steps: a venv in examples/python/.venv (reused while the requirements are unchanged), stubs into
# examples/python/switchboard/v1/*_pb2.py (not committed), a server on a free loopback port with a
# temporary data dir, client.py's demo, then check_protocol.py's checks. The server is always stopped.
# Environment: PYTHON (default python3, must have the venv module), SWITCHBOARD_BIN (a switchboard
# binary to test instead of building this checkout's).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=$HERE/.venv
PYTHON=${PYTHON:-python3}
# protobuf 4.21–4.25 reads what Debian's protoc 3.21 generates (5.x no longer promises to).
REQUIREMENTS=("pyzmq>=25,<28" "protobuf>=4.21,<5")

say() { echo "run-tests.sh: $*" >&2; }

# --- venv ------------------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "${REQUIREMENTS[*]}" ]; then
    say "creating $VENV with ${REQUIREMENTS[*]}"
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        say "'$PYTHON -m venv' failed: use a Python with the venv module (set PYTHON=/path/to/python3)"
        exit 1
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
    echo "${REQUIREMENTS[*]}" > "$VENV/.requirements"
fi
PY=$VENV/bin/python

# --- stubs -----------------------------------------------------------------------------------------
command -v protoc >/dev/null || { say "protoc not found: run 'bash scripts/install-deps.sh' (Debian protobuf-compiler)"; exit 1; }
rm -f "$HERE"/switchboard/v1/*_pb2.py
protoc -I "$ROOT/proto" --python_out="$HERE" "$ROOT"/proto/switchboard/v1/*.proto

# --- server ----------------------------------------------------------------------------------------
BIN=${SWITCHBOARD_BIN:-}
if [ -z "$BIN" ]; then
    BIN="$(cd "$ROOT" && swift build --show-bin-path)/switchboard"
    if [ ! -x "$BIN" ]; then
        say "building the switchboard binary"
        (cd "$ROOT" && swift build --product switchboard >&2)
    fi
fi
[ -x "$BIN" ] || { say "no switchboard binary at $BIN"; exit 1; }

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ENDPOINT=tcp://127.0.0.1:$PORT
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-python-tests.XXXXXX")
LOG=$DATA_DIR/server.log
SERVER_PID=

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            say "server did not stop on SIGTERM within 5 s; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    rm -rf "$DATA_DIR"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

"$BIN" serve --listen "$ENDPOINT" --data-dir "$DATA_DIR/data" >"$LOG" 2>&1 &
SERVER_PID=$!

# Ready when Health/Check answers; give up after 60 s or if the server exits.
ready=0
for _ in $(seq 120); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        say "the server exited before it answered; its log:"; cat "$LOG" >&2; exit 1
    fi
    if (cd "$HERE" && "$PY" -c "
import sys
from client import Client
c = Client('$ENDPOINT')
try:
    c.health(0.5)
except Exception:
    sys.exit(1)
finally:
    c.close()
") 2>/dev/null; then ready=1; break; fi
    sleep 0.5
done
if [ "$ready" != 1 ]; then say "the server did not answer Health/Check within 60 s; its log:"; cat "$LOG" >&2; exit 1; fi

# --- the demo, then the checks (whose last line is "N passed, M failed") ----------------------------
cd "$HERE"
"$PY" client.py --server "$ENDPOINT"
status=0
"$PY" check_protocol.py --server "$ENDPOINT" --golden "$ROOT/Tests/SwitchboardWireTests/Golden" || status=$?
if [ "$status" != 0 ]; then
    say "server log (last 40 lines):"
    tail -n 40 "$LOG" >&2
fi
exit "$status"
