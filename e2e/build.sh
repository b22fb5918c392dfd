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

# The device-manager harness is ours and small: rebuild it whenever its sources are newer.
DM_SRC_NEWEST="$(find "$HARNESS/cmd/devicemanager" "$HARNESS/go.mod" "$HARNESS/go.sum" -type f -newer "$OUT/devicemanager" 2>/dev/null | head -1 || true)"
if need devicemanager || [ -n "$DM_SRC_NEWEST" ]; then
  t=$(stamp); echo "== building devicemanager harness"
  $NICE go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/devicemanager.tmp" ./cmd/devicemanager
  mv "$OUT/devicemanager.tmp" "$OUT/devicemanager"; report devicemanager "$t"
else
  echo "== devicemanager present in $OUT (skip)"
fi

if need kwok; then
  t=$(stamp); echo "== building kwok $KWOK_VERSION"
  ( cd "$OUT" && GOFLAGS= GOBIN="$OUT/.gobin" $NICE go install -trimpath -ldflags "$LDFLAGS" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" )
  mv "$OUT/.gobin/kwok" "$OUT/kwok"; rmdir "$OUT/.gobin" 2>/dev/null || true; report kwok "$t"
else
  echo "== kwok present in $OUT (skip)"
fi
echo "== e2e binaries ready in $OUT (total $(( $(stamp) - T0 ))s)"
echo "$OUT" > "$HERE/.bin-dir"
