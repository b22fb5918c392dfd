#!/usr/bin/env bash
# Builds the e2e control plane from Go modules (no Docker, no kind):
#   etcd, kube-apiserver, kube-scheduler (from e2e/harness/go.mod, k8s.io/kubernetes + etcd server),
#   kwok (go install of its own module: it has no replace directives and its own k8s pins),
#   devicemanager (our harness around the real kubelet device manager).
# Binaries go to ${TESSERA_E2E_CACHE:-$HOME/.cache/tessera-e2e}/<k8s version>/ and are
# reused when present. GOMODCACHE/GOCACHE are the usual Go caches, so a rebuild after a
# harness change is incremental.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HARNESS="$HERE/harness"
K8S_VERSION="$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$HARNESS/go.mod")"
KWOK_VERSION="${TESSERA_KWOK_VERSION:-v0.7.0}"
OUT="${TESSERA_E2E_CACHE:-$HOME/.cache/tessera-e2e}/$K8S_VERSION"
mkdir -p "$OUT"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0
# Binaries are test tools: strip debug info to save link time and disk.
LDFLAGS="-s -w"
NICE="nice -n 10"

need() { [ ! -x "$OUT/$1" ] || [ "${TESSERA_E2E_REBUILD:-}" = 1 ]; }
stamp() { date +%s; }
report() { echo "== $1 built in $(( $(stamp) - $2 ))s -> $OUT/$1"; }

T0=$(stamp)
cd "$HARNESS"
for target in etcd:go.etcd.io/etcd/server/v3 \
              kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver \
              kube-scheduler:k8s.io/kubernetes/cmd/kube-scheduler; do
  name="${target%%:*}"; pkg="${target#*:}"
  if need "$name"; then
    t=$(stamp); echo "== building $name ($pkg)"
    $NICE go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/$name.tmp" "$pkg"
    mv "$OUT/$name.tmp" "$OUT/$name"; report "$name" "$t"
  else
    echo "== $name present in $OUT (skip)"
  fi
done

# Our own harness programs are small: rebuild them whenever their sources are newer.
for name in devicemanager stubplugin; do
  newer="$(find "$HARNESS/cmd/$name" "$HARNESS/go.mod" "$HARNESS/go.sum" -type f -newer "$OUT/$name" 2>/dev/null | head -1 || true)"
  if need "$name" || [ -n "$newer" ]; then
    t=$(stamp); echo "== building $name harness"
    $NICE go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/$name.tmp" "./cmd/$name"
    mv "$OUT/$name.tmp" "$OUT/$name"; report "$name" "$t"
  else
    echo "== $name present in $OUT (skip)"
  fi
done

if need kwok; then
  t=$(stamp); echo "== building kwok $KWOK_VERSION"
  ( cd "$OUT" && GOFLAGS= GOBIN="$OUT/.gobin" $NICE go install -trimpath -ldflags "$LDFLAGS" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" )
  mv "$OUT/.gobin/kwok" "$OUT/kwok"; rmdir "$OUT/.gobin" 2>/dev/null || true; report kwok "$t"
else
  echo "== kwok present in $OUT (skip)"
fi
# kwok's upstream default stages (what kwokctl injects), taken from the kwok module itself.
if [ ! -d "$OUT/kwok-stages" ]; then
  KWOK_DIR="$(cd "$OUT" && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  mkdir -p "$OUT/kwok-stages.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cp "$KWOK_DIR/kustomize/stage/$f" "$OUT/kwok-stages.tmp/"
  done
  chmod u+w "$OUT/kwok-stages.tmp"/*; mv "$OUT/kwok-stages.tmp" "$OUT/kwok-stages"
fi
echo "== e2e binaries ready in $OUT (total $(( $(stamp) - T0 ))s)"
echo "$OUT" > "$HERE/.bin-dir"
