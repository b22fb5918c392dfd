#!/usr/bin/env bash
# npm run e2e: build (or reuse) the control-plane binaries, then run the scenarios
# against a real etcd + kube-apiserver + kube-scheduler + kwok on loopback.
# Every process the run starts is in its own process group and listed in
# $TESSERA_E2E_RUN_DIR/pids; the trap stops those groups (and only those) on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bash e2e/build.sh

export TESSERA_E2E_RUN_DIR="${TESSERA_E2E_RUN_DIR:-$(mktemp -d /tmp/tessera-e2e-XXXXXX)}"
mkdir -p "$TESSERA_E2E_RUN_DIR"
: > "$TESSERA_E2E_RUN_DIR/pids"

cleanup() {
  local rc=$?
  if [ -s "$TESSERA_E2E_RUN_DIR/pids" ]; then
    while read -r pid name; do
      if kill -0 "-$pid" 2>/dev/null; then
        echo "[e2e] stopping leftover $name (process group $pid)" >&2
        kill -TERM "-$pid" 2>/dev/null || true
      fi
    done < "$TESSERA_E2E_RUN_DIR/pids"
    sleep 1
    while read -r pid _; do kill -KILL "-$pid" 2>/dev/null || true; done < "$TESSERA_E2E_RUN_DIR/pids"
  fi
  echo "[e2e] logs: $TESSERA_E2E_RUN_DIR" >&2
  exit "$rc"
}
trap cleanup EXIT INT TERM

npx vitest run --config e2e/vitest.config.ts "$@"
