#!/usr/bin/env bash
# Offline checks of the manifests with the apiserver's own Go code (same Kubernetes version as
# the e2e harness, e2e/harness/go.mod), for when no API server is at hand:
#  - crdcheck: validates the CRDs as a create would (structural schema, CEL compile + cost),
#    then defaults and validates every Pool/Tenant/Queue in manifests/examples and
#    manifests/testdata (OpenAPI, list sets, CEL incl. transition rules); objects annotated
#    `test/expect: invalid` must be rejected, all others accepted.
#  - admissioncheck: validates the ValidatingAdmissionPolicies and webhook configurations
#    (CEL match conditions and validations compile).
# Usage: bash manifests/tools/run-checks.sh   (first build: several minutes; Go >= 1.24)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${TMPDIR:-/tmp}/tessera-manifest-checks"
for tool in crdcheck admissioncheck; do
  mkdir -p "$work/$tool"
  cp "$root/e2e/harness/go.mod" "$root/e2e/harness/go.sum" "$work/$tool/"
  sed -i "s|^module .*|module $tool|; s|\tk8s.io/apiextensions-apiserver v0.0.0 // indirect|\tk8s.io/apiextensions-apiserver v0.0.0|" "$work/$tool/go.mod"
  sed '/^\/\/go:build ignore$/d' "$here/$tool/main.go" > "$work/$tool/main.go"
  (cd "$work/$tool" && GOFLAGS=-mod=mod go build -o "$tool" .)
done
"$work/crdcheck/crdcheck" "$root"/manifests/base/crds/*.yaml "$root"/manifests/examples/*.yaml "$root"/manifests/testdata/*.yaml
"$work/admissioncheck/admissioncheck" "$root"/manifests/hardening/*.yaml "$root"/manifests/base/webhook/webhooks.yaml
