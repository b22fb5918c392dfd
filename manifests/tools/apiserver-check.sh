#!/usr/bin/env bash
# Applies the manifests to a private, throw-away etcd + kube-apiserver on loopback and checks
# what only a real API server can show: server-side apply of the base, examples, hardening and
# kind nodes; printer columns; the schema accepting testdata/valid-objects.yaml and refusing
# every object of testdata/invalid-objects.yaml; RBAC (kubectl auth can-i) for each service
# account; the webhooks refusing accelerator pods while no extender runs but not plain pods;
# the ValidatingAdmissionPolicies at work (decision annotations, agent own node); and the
# scheduler configuration loading in the real kube-scheduler as the tessera-scheduler account.
#
# Needs kubectl and the binaries that e2e/build.sh builds (etcd, kube-apiserver,
# kube-scheduler under $TESSERA_E2E_CACHE/<version>/, default ~/.cache/tessera-e2e/v1.34.4).
# Usage: bash manifests/tools/apiserver-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${TESSERA_K8S_BIN:-${TESSERA_E2E_CACHE:-$HOME/.cache/tessera-e2e}/v1.34.4}"
for b in etcd kube-apiserver kube-scheduler; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: run bash e2e/build.sh first (or set TESSERA_K8S_BIN)" >&2; exit 2; }
done
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 2; }

D="$(mktemp -d /tmp/tessera-apiserver-check-XXXXXX)"
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ETCD_PORT=$(free_port); PEER_PORT=$(free_port); API_PORT=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  echo "logs: $D"
}
trap cleanup EXIT

openssl genrsa -out "$D/sa.key" 2048 2>/dev/null
openssl rsa -in "$D/sa.key" -pubout -out "$D/sa.pub" 2>/dev/null
echo 'admintoken,admin,admin-uid,"system:masters"' > "$D/tokens.csv"
"$BIN/etcd" --data-dir "$D/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --unsafe-no-fsync > "$D/etcd.log" 2>&1 &
pids+=($!)
"$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" --secure-port="$API_PORT" \
  --bind-address=127.0.0.1 --cert-dir="$D/certs" --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$D/sa.pub" --service-account-signing-key-file="$D/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 --authorization-mode=RBAC --token-auth-file="$D/tokens.csv" \
  --disable-admission-plugins=ServiceAccount --allow-privileged=true > "$D/apiserver.log" 2>&1 &
pids+=($!)

kubeconfig() { # file [impersonated user] [node-name claim]
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters: [{name: t, cluster: {server: \"https://127.0.0.1:$API_PORT\", insecure-skip-tls-verify: true}}]"
    local extra=""
    [ -n "${3:-}" ] && extra=", as-user-extra: {\"authentication.kubernetes.io/node-name\": [\"$3\"]}"
    if [ -n "${2:-}" ]; then echo "users: [{name: u, user: {token: admintoken, as: \"$2\"$extra}}]"
    else echo "users: [{name: u, user: {token: admintoken}}]"; fi
    echo "contexts: [{name: t, context: {cluster: t, user: u}}]"
    echo "current-context: t"
  } > "$1"
}
kubeconfig "$D/admin.kubeconfig"
K="kubectl --kubeconfig $D/admin.kubeconfig"
for _ in $(seq 1 90); do $K get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
$K get --raw /readyz >/dev/null

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect_ok() { local what="$1"; shift; if out=$("$@" 2>&1); then ok "$what"; else bad "$what: $out"; fi; }
expect_refused() { # what, grep pattern, command…
  local what="$1" pat="$2"; shift 2
  if out=$("$@" 2>&1); then bad "$what: accepted"; elif grep -q -- "$pat" <<<"$out"; then ok "$what"; else bad "$what: refused for another reason: $out"; fi
}

expect_ok "server-side apply of manifests/ (base)" $K apply --server-side -k manifests/
$K wait --for=condition=established crd/pools.tessera.io crd/tenants.tessera.io crd/queues.tessera.io --timeout=60s >/dev/null
expect_ok "server-side apply of manifests/examples" $K apply --server-side -k manifests/examples/
expect_ok "server-side apply of manifests/hardening" $K apply --server-side -k manifests/hardening/
expect_ok "server-side apply of manifests/kind/kwok-nodes.yaml" $K apply --server-side -f manifests/kind/kwok-nodes.yaml
expect_ok "dry-run of testdata/valid-objects.yaml" $K apply --server-side --dry-run=server -f manifests/testdata/valid-objects.yaml

cols=$($K get queue vision-test -o wide --no-headers | tr -s ' ')
[[ "$cols" == "vision-test vision test 2.5 6 "* ]] && ok "kubectl get queues prints tenant, pool, guarantee, limit ($cols)" || bad "queue columns: $cols"

# Every invalid object, one at a time: each must be refused.
n=0
while IFS= read -r -d '' doc; do
  grep -q '^kind:' <<<"$doc" || continue
  n=$((n + 1))
  name=$(grep -m1 '^  name:' <<<"$doc" | awk '{print $2}')
  if out=$(printf '%s\n' "$doc" | $K apply --server-side --dry-run=server -f - 2>&1); then bad "invalid object $name accepted"
  elif grep -qiE 'is invalid|duplicate entries' <<<"$out"; then out="${out//$'\n'/ }"; ok "invalid object $name refused: ${out:0:140}"
  else bad "invalid object $name refused for another reason: $out"; fi
done < <(awk 'BEGIN{RS="\n---\n"; ORS="\0"} {print}' manifests/testdata/invalid-objects.yaml)
[ "$n" -ge 10 ] || bad "only $n invalid objects found"

# RBAC.
can() { $K auth can-i "$@" 2>/dev/null | tail -1 || true; }
E=system:serviceaccount:tessera-system:tessera-extender
A=system:serviceaccount:tessera-system:tessera-agent
C=system:serviceaccount:tessera-system:tessera-certgen
check_can() { local want="$1"; shift; local got; got=$(can "$@"); [ "$got" = "$want" ] && ok "can-i $* = $want" || bad "can-i $* = $got, want $want"; }
check_can yes create pods --subresource=binding -n x --as=$E
check_can yes create pods --subresource=eviction -n x --as=$E
check_can yes patch pods -n x --as=$E
check_can no patch nodes --as=$E
check_can yes update queues.tessera.io --subresource=status --as=$E
check_can yes create tokenreviews --as=$E
check_can yes update leases -n tessera-system --as=$E
check_can no update leases -n kube-system --as=$E
check_can yes patch nodes --as=$A
check_can no create pods --subresource=binding -n x --as=$A
check_can yes get secrets/tessera-webhook-tls -n tessera-system --as=$C
check_can no get secrets/other -n tessera-system --as=$C
check_can no create secrets -n default --as=$C
for sa in $E $A $C system:serviceaccount:tessera-system:tessera-scheduler; do
  check_can no list secrets -A --as=$sa
  check_can no create pods --subresource=exec -n x --as=$sa
done

# Webhooks: no extender runs here, so accelerator pods are refused (failurePolicy Fail),
# plain pods are not even sent to the webhook (matchConditions).
expect_refused "GPU pod refused while no extender runs" "pods.mutate.tessera.io" $K create -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: gpu, namespace: vision-test }
spec: { containers: [{ name: m, image: x, resources: { limits: { nvidia.com/gpu: 1 } } }] }
EOF
expect_ok "plain pod admitted while no extender runs" $K run plain -n vision-test --image=x --restart=Never

# Decision annotations (namespace opted out of the webhooks to create the pod directly).
$K label ns vision-train tessera.io/webhook=disabled >/dev/null
expect_ok "pod with a decision created (webhook disabled in namespace)" $K create -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: p1, namespace: vision-train, annotations: { tessera.io/decision: '{"version":1}' } }
spec: { nodeName: kwok-h100-a, containers: [{ name: m, image: x }] }
EOF
expect_refused "user may not change a decision" "tessera-decision-annotations" $K annotate pod -n vision-train p1 'tessera.io/decision={"version":1,"x":1}' --overwrite
expect_refused "user may not remove a decision" "tessera-decision-annotations" $K annotate pod -n vision-train p1 tessera.io/decision-
expect_ok "user may add other annotations" $K annotate pod -n vision-train p1 team=vision
expect_ok "extender may change a decision" $K --as=$E annotate pod -n vision-train p1 'tessera.io/decision={"version":1,"x":2}' --overwrite

# Agent writes only its own node.
kubeconfig "$D/agent-a.kubeconfig" "$A" kwok-h100-a
kubeconfig "$D/agent-none.kubeconfig" "$A"
KA="kubectl --kubeconfig $D/agent-a.kubeconfig"
expect_ok "agent annotates its own node" $KA annotate node kwok-h100-a tessera.io/check=1
expect_refused "agent may not annotate another node" "may not update Node kwok-h100-b" $KA annotate node kwok-h100-b tessera.io/check=1
expect_refused "agent may not change its node's spec" "only the metadata" $KA taint node kwok-h100-a x=y:NoSchedule
expect_ok "agent annotates a pod on its node" $KA annotate pod -n vision-train p1 'tessera.io/allocated={}'
expect_refused "agent without node claim is refused" "no node claim" kubectl --kubeconfig "$D/agent-none.kubeconfig" annotate node kwok-h100-a tessera.io/check=2 --overwrite

# kube-scheduler loads the configuration and leads as the tessera-scheduler account.
kubeconfig "$D/scheduler.kubeconfig" system:serviceaccount:tessera-system:tessera-scheduler
$K get cm -n tessera-system tessera-scheduler-config -o jsonpath='{.data.config\.yaml}' \
  | sed "s|^kind: KubeSchedulerConfiguration|kind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: $D/scheduler.kubeconfig|" > "$D/scheduler.yaml"
"$BIN/kube-scheduler" --config="$D/scheduler.yaml" --secure-port=0 > "$D/scheduler.log" 2>&1 &
sp=$!; pids+=($sp)
for _ in $(seq 1 30); do grep -q "successfully acquired lease tessera-system/tessera-scheduler" "$D/scheduler.log" && break; sleep 1; done
if grep -q "successfully acquired lease tessera-system/tessera-scheduler" "$D/scheduler.log" && ! grep -qi forbidden "$D/scheduler.log"; then
  ok "kube-scheduler loads the configuration and takes the Lease as tessera-scheduler"
else
  bad "kube-scheduler: $(grep -iE 'error|forbidden' "$D/scheduler.log" | head -3)"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
