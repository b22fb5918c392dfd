#!/usr/bin/env bash
# Offline CRD check with the apiserver's own code (k8s.io/apiextensions-apiserver, same
# version as the e2e harness): validates the CRDs as a create would (structural schema,
# CEL compile + cost), then defaults and validates every Pool/Tenant/Queue in
# manifests/examples and manifests/testdata (OpenAPI, list sets, CEL, transition rules);
# objects annotated test/expect: invalid must be rejected.
# Usage: bash manifests/tools/crdcheck/run.sh   (first build: a few minutes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="${TMPDIR:-/tmp}/tessera-crdcheck"
mkdir -p "$work"
cp "$root/e2e/harness/go.mod" "$root/e2e/harness/go.sum" "$work/"
sed -i 's|^module .*|module crdcheck|; s|\tk8s.io/apiextensions-apiserver v0.0.0 // indirect|\tk8s.io/apiextensions-apiserver v0.0.0|' "$work/go.mod"
sed '/^\/\/go:build ignore$/d' "$here/main.go" > "$work/main.go"
(cd "$work" && GOFLAGS=-mod=mod go build -o crdcheck .)
"$work/crdcheck" "$root"/manifests/crds/*.yaml "$root"/manifests/examples/*.yaml "$root"/manifests/testdata/*.yaml
