#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, for `cprofiler measure --backend kubernetes` and its tests.
#
#   bash scripts/local-cluster.sh up      build once (cached), start etcd -> kube-apiserver ->
#                                         kube-controller-manager, kube-scheduler -> kubelet, wait for the
#                                         Node to be Ready; a no-op when it already runs
#   bash scripts/local-cluster.sh down    stop the controllers, delete every pod, stop the processes by
#                                         pid, remove the kubelet's state, pod logs, kubepods cgroups;
#                                         restore sysctls
#   bash scripts/local-cluster.sh build   only build (or find) the cached binaries
#   bash scripts/local-cluster.sh env     print `export KUBECONFIG=...` for the running cluster
#
# What runs: etcd from Debian's etcd-server; kube-apiserver, kube-controller-manager, kube-scheduler
# and kubelet v1.20.2 built from Debian's `kubernetes` source package with Debian's Go 1.19; the
# kubelet runs pods on the local Docker engine through its dockershim. The controller-manager and the
# scheduler make Deployments, ReplicaSets, Jobs and HorizontalPodAutoscalers behave as on a real
# cluster (there is no metrics API, so an HPA reports that it cannot read its metric, as it would on
# a cluster without metrics-server); cprofiler's own pods set spec.nodeName and need neither. Node
# name: 127.0.0.1 (any other name makes the kubelet resolve it through DNS, which is outside this
# machine).
#
# Rules this script keeps (why, in one line each):
# - every listener binds 127.0.0.1: nothing here is reachable from, or talks to, another machine;
# - the no-aws patch and AWS_EC2_METADATA_DISABLED=true: vendored AWS code can call a cloud metadata
#   address;
# - image garbage collection thresholds 100/99: the kubelet must never delete the engine's other images;
# - the kubelet rewrites kernel.panic, kernel.panic_on_oops, vm.overcommit_memory: recorded before the
#   first start, restored by `down`;
# - packages come from the machine's own apt configuration; the deb-src entries needed for
#   `apt-get source` are derived from its deb entries into a temporary folder, used and deleted.
#
# Binaries are cached by version under $CPROFILER_K8S_CACHE (default /var/cache/cprofiler-k8s/1.20.2-3):
# the cold build takes ~5 minutes on 2 cores, later `up`s start in ~16 s. State lives in
# $CPROFILER_K8S_RUN (default /var/lib/cprofiler-k8s): PKI, etcd data, logs, the admin kubeconfig.
set -euo pipefail

KUBE_VERSION=1.20.2
# The cache key's second part: raise it when the build recipe changes, so cached binaries are rebuilt.
RECIPE=3
KUBE_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
SRC_PACKAGE=kubernetes
SRC_VERSION_MATCH='really1.20.2-'   # Debian's 1.20.5+really1.20.2-* is upstream 1.20.2
GO_PACKAGE=golang-1.19
NODE=127.0.0.1
NAMESPACE=cprofiler
PAUSE_IMAGE=cprofiler/k8s-pause:1
# The processes `up` starts, in order; `down` stops them in reverse (the controllers first, so that
# no ReplicaSet or Job makes a pod again while the pods are deleted).
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet)
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${CPROFILER_K8S_CACHE:-/var/cache/cprofiler-k8s}/$KUBE_VERSION-$RECIPE"
RUN="${CPROFILER_K8S_RUN:-/var/lib/cprofiler-k8s}"
BIN="$CACHE/bin"
PKI="$RUN/pki"
LOGS="$RUN/logs"
KUBELET_ROOT=/var/lib/kubelet
export AWS_EC2_METADATA_DISABLED=true

T0=$(date +%s.%N)
say() { echo "[local-cluster $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%6.2f", b-a}')s] $*" >&2; }
DOWN_ON_DIE=0
die() {
  echo "local-cluster: $*" >&2
  # A failed `up` leaves nothing running (its logs stay in $LOGS).
  if [ "$DOWN_ON_DIE" = 1 ]; then DOWN_ON_DIE=0; down || true; fi
  exit 1
}
waitfor() { # waitfor <seconds> <what> <command...>
  local n=$(($1 * 10)) what=$2
  shift 2
  for ((i = 0; i < n; i++)); do
    if "$@" >/dev/null 2>&1; then say "$what"; return 0; fi
    sleep 0.1
  done
  die "timed out after ${n}ds waiting for: $what (logs: $LOGS)"
}
[ "$(id -u)" -eq 0 ] || die "run as root: the kubelet needs cgroups, mounts and the Docker socket"

# What this script itself runs, from Debian's archive when missing (dpkg-dev: apt-get source).
needs() {
  local missing=() p
  for p in curl jq openssl gcc libc6-dev dpkg-dev patch; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

# --- build -------------------------------------------------------------------------------------------

# apt with the machine's deb entries turned into deb-src entries, in a private folder ($1).
apt_src() {
  local t=$1 f
  mkdir -p "$t/parts" "$t/lists/partial" "$t/cache/archives/partial"
  : >"$t/sources.list"
  if [ -f /etc/apt/sources.list ]; then sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$t/sources.list"; fi
  for f in /etc/apt/sources.list.d/*.sources; do
    if [ -e "$f" ]; then sed 's/^Types: deb$/Types: deb-src/' "$f" >"$t/parts/$(basename "$f")"; fi
  done
  for f in /etc/apt/sources.list.d/*.list; do
    if [ -e "$f" ]; then sed -n 's/^deb /deb-src /p' "$f" >"$t/parts/$(basename "$f")"; fi
  done
}

build() {
  local c
  for c in "${COMPONENTS[@]}"; do [ -x "$BIN/$c" ] || break; done
  if [ -x "$BIN/$c" ]; then
    say "cached binaries in $BIN"
    return 0
  fi
  local W="$CACHE/build" start
  start=$(date +%s)
  rm -rf "$W"
  mkdir -p "$W/debs" "$W/root" "$W/apt" "$W/gopath/src/k8s.io" "$BIN"
  say "cold build into $BIN (about 5 minutes on 2 cores)"
  # Go, etcd and reflect2 1.0.2 as .debs extracted under $W/root: nothing is installed on the machine.
  apt-get update -q >/dev/null 2>&1 || die "apt-get update failed"
  (cd "$W/debs" && apt-get download -q "$GO_PACKAGE-go" "$GO_PACKAGE-src" etcd-server \
    golang-github-modern-go-reflect2-dev >/dev/null)
  for d in "$W"/debs/*.deb; do dpkg -x "$d" "$W/root"; done
  apt_src "$W/apt"
  local O=(-o "Dir::Etc::SourceList=$W/apt/sources.list" -o "Dir::Etc::SourceParts=$W/apt/parts"
    -o "Dir::State::Lists=$W/apt/lists" -o "Dir::Cache=$W/apt/cache")
  apt-get "${O[@]}" update -q >/dev/null 2>&1 || die "apt-get update with deb-src entries failed"
  local v
  v=$(apt-cache "${O[@]}" showsrc "$SRC_PACKAGE" | awk '/^Version:/{print $2}' | grep -F "$SRC_VERSION_MATCH" | head -1)
  [ -n "$v" ] || die "no source package $SRC_PACKAGE matching *$SRC_VERSION_MATCH* in the machine's apt sources"
  (cd "$W" && apt-get "${O[@]}" source -q "$SRC_PACKAGE=$v" >"$W/source.log" 2>&1) ||
    die "apt-get source $SRC_PACKAGE=$v failed (see $W/source.log)"
  rm -rf "$W/apt"
  local src
  src=$(find "$W" -maxdepth 1 -type d -name "$SRC_PACKAGE-*" | head -1)
  [ -n "$src" ] || die "apt-get source did not unpack $SRC_PACKAGE"
  ln -s "$src" "$W/gopath/src/k8s.io/kubernetes"
  say "source $SRC_PACKAGE $v unpacked"
  # Patches: no AWS code (it can call a cloud metadata address); no negative OOM score adjustments
  # (this sandbox lacks CAP_SYS_RESOURCE).
  for p in "$HERE"/local-cluster/*.diff; do patch -s -p1 -d "$src" <"$p"; done
  # reflect2 1.0.1 (vendored) corrupts memory under Go >= 1.18; Debian ships 1.0.2.
  rm -rf "$src/vendor/github.com/modern-go/reflect2"
  cp -r "$W/root/usr/share/gocode/src/github.com/modern-go/reflect2" "$src/vendor/github.com/modern-go/reflect2"
  # GOPATH mode, offline: the tree vendors everything.
  export GOROOT="$W/root/usr/lib/go-1.19" GOPATH="$W/gopath" GOCACHE="$W/gocache" GOPROXY=off \
    GO111MODULE=off CGO_ENABLED=0 GOFLAGS=
  export PATH="$GOROOT/bin:$PATH"
  cd "$W/gopath/src/k8s.io/kubernetes"
  # The tarball lacks pkg/generated/openapi/zz_generated.openapi.go (upstream's make generates it):
  # the same directory selection as build/root/Makefile.generated_files, fed to the vendored openapi-gen.
  go build -o "$W/openapi-gen" k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen
  local dirs
  dirs=$(find -H . \( -not \( \( -path ./_\* -o -path ./.\* -o -path ./vendor \) -prune \) \) -type f -name '*.go' |
    sed 's|^./staging/src|vendor|' | sed 's|/[^/]*$||; s|^./||' | LC_ALL=C sort -u |
    while read -r d; do
      r=$(find "${d/#vendor/staging\/src}" -maxdepth 1 -type f -name '*.go' | xargs -r grep -l '^// *+k8s:' |
        xargs -r grep -l '+k8s:openapi-gen=' || true)
      if [ -n "$r" ]; then echo "$d"; fi
    done | grep -v '^vendor/k8s.io/code-generator/\|^vendor/k8s.io/sample-apiserver/' | LC_ALL=C sort -u)
  "$W/openapi-gen" --logtostderr -i "$(echo "$dirs" | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)" \
    -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$W/openapi_violations.report" 2>"$W/openapi.log"
  say "openapi generated ($(echo "$dirs" | wc -l) packages)"
  # Both version packages, as upstream's hack/lib/version.sh does: the kubelet reports
  # component-base's, the API server's /version client-go's.
  local V LDF="-s -w"
  for V in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
    LDF="$LDF -X $V.gitVersion=v$KUBE_VERSION -X $V.gitMajor=1 -X $V.gitMinor=20 -X $V.gitCommit=$KUBE_COMMIT"
    LDF="$LDF -X $V.gitTreeState=archive -X $V.buildDate=2021-01-13T13:20:00Z"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet; do
    nice -n 10 go build -p 2 -tags=selinux,notest -ldflags "$LDF" -o "$W/$c" "k8s.io/kubernetes/cmd/$c"
    say "built $c"
  done
  cd /
  cp "$W/root/usr/bin/etcd" "$BIN/etcd"
  # kubelet last: its presence marks a complete cache
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet; do mv "$W/$c" "$BIN/$c"; done
  echo "$SRC_PACKAGE $v" >"$BIN/SOURCE"
  rm -rf "$W"
  say "cold build done in $(($(date +%s) - start)) s"
}

# --- up ----------------------------------------------------------------------------------------------

alive() { # alive <name>: the recorded pid runs the expected binary
  local f="$RUN/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null)" = "$1" ]
}

all_alive() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done; }
any_alive() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" && return 0; done; return 1; }

admin_token() { awk -F, '$3=="admin"{print $1}' "$PKI/tokens.csv"; }
api() { curl -sf --max-time 5 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(admin_token)" "$@"; }
node_ready() {
  api "https://127.0.0.1:6443/api/v1/nodes/$NODE" |
    jq -e '.status.conditions[] | select(.type=="Ready") | .status=="True"'
}

launch() { # launch <name> <argv...>: its own session, output to logs/<name>.log, pid to <name>.pid
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

pki() {
  # A PKI from before the controllers (no scheduler token) is made again, whole.
  if [ -f "$PKI/tokens.csv" ] && grep -q ',system:kube-scheduler,' "$PKI/tokens.csv"; then return 0; fi
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=cprofiler-local-ca\n[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n' >ca.cnf
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key
    openssl req -x509 -new -key ca.key -config ca.cnf -extensions v3_ca -days 3650 -out ca.crt
    leaf() { # leaf <name> <subject> <extendedKeyUsage> [subjectAltName]
      openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
      {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$3"
        if [ -n "${4:-}" ]; then echo "subjectAltName=$4"; fi
      } >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile "$1.ext" \
        -out "$1.crt" 2>/dev/null
    }
    leaf apiserver /CN=kube-apiserver serverAuth \
      IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
    leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
    leaf kubelet "/CN=$NODE" serverAuth IP:127.0.0.1,DNS:localhost
    leaf kube-controller-manager /CN=kube-controller-manager serverAuth IP:127.0.0.1
    leaf kube-scheduler /CN=kube-scheduler serverAuth IP:127.0.0.1
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
    echo "$(openssl rand -hex 16),admin,admin,system:masters" >tokens.csv
    echo "$(openssl rand -hex 16),system:node:$NODE,kubelet,system:nodes" >>tokens.csv
    # The users Kubernetes' bootstrap RBAC roles are bound to: the controller-manager uses its own
    # only to mint one service account per controller (--use-service-account-credentials).
    echo "$(openssl rand -hex 16),system:kube-controller-manager,kube-controller-manager" >>tokens.csv
    echo "$(openssl rand -hex 16),system:kube-scheduler,kube-scheduler" >>tokens.csv
    chmod 600 ./*.key tokens.csv
  )
  local u tok
  for u in admin kubelet kube-controller-manager kube-scheduler; do
    tok=$(awk -F, -v u=$u '$3==u{print $1}' "$PKI/tokens.csv")
    cat >"$RUN/$u.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cprofiler-local
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: $PKI/ca.crt}
users:
- name: $u
  user: {token: "$tok"}
contexts:
- name: cprofiler-local
  context: {cluster: cprofiler-local, user: $u, namespace: $NAMESPACE}
current-context: cprofiler-local
EOF
    chmod 600 "$RUN/$u.kubeconfig"
  done
  say "PKI, tokens and kubeconfigs in $RUN"
}

pause_image() {
  docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1 && return 0
  local d
  d=$(mktemp -d)
  # The pod sandbox: sleeps until told to stop, reaps nothing (pods here have one container).
  cat >"$d/pause.c" <<'EOF'
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
static void stop(int s) { (void)s; _exit(0); }
int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  for (;;) pause();
}
EOF
  gcc -O2 -static -o "$d/pause" "$d/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$d/Dockerfile"
  docker build -q -t "$PAUSE_IMAGE" "$d" >/dev/null 2>&1 || die "could not build the pod sandbox image $PAUSE_IMAGE"
  rm -rf "$d"
  say "pod sandbox image $PAUSE_IMAGE built"
}

up() {
  if all_alive && node_ready >/dev/null 2>&1; then
    say "already up (KUBECONFIG=$RUN/admin.kubeconfig)"
    return 0
  fi
  if any_alive; then
    say "partly up: taking it down first"
    down
  fi
  build
  DOWN_ON_DIE=1
  mkdir -p "$RUN" "$LOGS"
  if [ ! -f "$RUN/sysctl.orig" ]; then
    sysctl "${SYSCTLS[@]}" 2>/dev/null | sed 's/ = /=/' >"$RUN/sysctl.orig.tmp"
    mv "$RUN/sysctl.orig.tmp" "$RUN/sysctl.orig"
  fi
  pause_image
  pki

  launch etcd "$BIN/etcd" --name cprofiler --data-dir "$RUN/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster cprofiler=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
    --logger=zap --log-level=warn
  waitfor 30 "etcd healthy" curl -sf --max-time 2 http://127.0.0.1:2379/health

  # --endpoint-reconciler-type=none: a loopback address may not be an Endpoints address.
  # ServiceAccount admission off: there is no controller-manager to mint tokens; pods set
  # automountServiceAccountToken: false.
  launch kube-apiserver "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --secure-port=6443 --insecure-port=0 \
    --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
    --etcd-servers=http://127.0.0.1:2379 \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=Node,RBAC \
    --disable-admission-plugins=ServiceAccount \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --profiling=false --v=1
  waitfor 120 "kube-apiserver ready" api https://127.0.0.1:6443/readyz
  api -X POST -H 'Content-Type: application/json' https://127.0.0.1:6443/api/v1/namespaces \
    -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NAMESPACE\"}}" >/dev/null || true

  # The controllers: loopback only, one instance each (no leader election), served over TLS with
  # certificates of the cluster's CA (their /healthz is how `up` sees them ready). The
  # controller-manager signs one service-account token per controller with sa.key and calls the API
  # server as each (least privilege, as kubeadm runs it); the scheduler as system:kube-scheduler.
  local c port
  for c in kube-controller-manager kube-scheduler; do
    port=10257
    [ "$c" = kube-scheduler ] && port=10259
    local extra=()
    [ "$c" = kube-controller-manager ] && extra=(--use-service-account-credentials=true
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt")
    launch "$c" "$BIN/$c" --kubeconfig="$RUN/$c.kubeconfig" \
      --authentication-kubeconfig="$RUN/$c.kubeconfig" --authorization-kubeconfig="$RUN/$c.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port=$port --port=0 \
      --tls-cert-file="$PKI/$c.crt" --tls-private-key-file="$PKI/$c.key" \
      --leader-elect=false --profiling=false "${extra[@]}" --v=1
  done
  waitfor 60 "kube-controller-manager healthy" curl -sf --max-time 2 --cacert "$PKI/ca.crt" https://127.0.0.1:10257/healthz
  waitfor 60 "kube-scheduler healthy" curl -sf --max-time 2 --cacert "$PKI/ca.crt" https://127.0.0.1:10259/healthz

  cat >"$RUN/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
failSwapOn: false
makeIPTablesUtilChains: false
protectKernelDefaults: false
oomScoreAdj: 0
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%"}
EOF
  mkdir -p "$KUBELET_ROOT"
  launch kubelet "$BIN/kubelet" --config="$RUN/kubelet-config.yaml" --kubeconfig="$RUN/kubelet.kubeconfig" \
    --hostname-override=$NODE --root-dir=$KUBELET_ROOT --cert-dir=$KUBELET_ROOT/pki \
    --container-runtime=docker --docker-endpoint=unix:///var/run/docker.sock \
    --container-runtime-endpoint="unix://$RUN/dockershim.sock" \
    --experimental-dockershim-root-directory=$KUBELET_ROOT/dockershim \
    --volume-plugin-dir=$KUBELET_ROOT/volumeplugins \
    --pod-infra-container-image=$PAUSE_IMAGE --v=1
  # Ready is posted with the kubelet's node status update, every 10 s.
  waitfor 120 "node $NODE Ready" node_ready
  DOWN_ON_DIE=0
  say "up: export KUBECONFIG=$RUN/admin.kubeconfig"
}

# --- down --------------------------------------------------------------------------------------------

stop() { # stop <name>: SIGTERM the recorded pid if it still runs that binary, SIGKILL after 15 s
  local pid
  if alive "$1"; then
    pid=$(cat "$RUN/$1.pid")
    kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$RUN/$1.pid"
}

down() {
  local namespaces="$NAMESPACE default"
  # The controllers first: a ReplicaSet or Job would make again the pods deleted below.
  stop kube-scheduler
  stop kube-controller-manager
  if alive kube-apiserver && [ -f "$PKI/tokens.csv" ]; then
    # every namespace holding a pod, so their containers can be found on the engine below
    namespaces="$( (api https://127.0.0.1:6443/api/v1/pods | jq -r '.items[].metadata.namespace' | sort -u |
      tr '\n' ' ') || true) $namespaces"
    local ns
    for ns in $namespaces; do
      api -X DELETE -H 'Content-Type: application/json' -d '{"gracePeriodSeconds":0}' \
        "https://127.0.0.1:6443/api/v1/namespaces/$ns/pods" >/dev/null || true
    done
  fi
  stop kubelet
  stop kube-apiserver
  stop etcd
  # The containers the kubelet made (sandboxes and apps) carry the pod's namespace as a label.
  local ids ns
  for ns in $(echo "$namespaces" | tr ' ' '\n' | sort -u); do
    ids=$(docker ps -aq --filter "label=io.kubernetes.pod.namespace=$ns")
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      docker rm -f $ids >/dev/null
      say "removed $(echo "$ids" | wc -w) pod containers of namespace $ns"
    fi
  done
  if [ -d $KUBELET_ROOT ] || [ -d /var/log/pods ]; then
    awk -v r=$KUBELET_ROOT '$2 ~ "^"r {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m"; done
    rm -rf $KUBELET_ROOT /var/log/pods /var/log/containers "$RUN/dockershim.sock"
    say "removed $KUBELET_ROOT and pod logs"
  fi
  local h
  for h in /sys/fs/cgroup/*/; do
    if [ -d "${h}kubepods" ]; then find "${h}kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  if find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' 2>/dev/null | grep -q .; then
    say "WARNING: kubepods cgroups left: $(find /sys/fs/cgroup -maxdepth 2 -name 'kubepods*' | tr '\n' ' ')"
  fi
  if [ -f "$RUN/sysctl.orig" ]; then
    local k v
    while IFS== read -r k v; do sysctl -qw "$k=$v"; done <"$RUN/sysctl.orig"
    rm -f "$RUN/sysctl.orig"
    say "sysctls restored"
  fi
  # etcd's data is the cluster: without it the next `up` starts clean. PKI and logs stay for
  # reading after a failure; the next `up` reuses the PKI.
  rm -rf "$RUN/etcd"
  say "down"
}

case "${1:-}" in
  up) needs; up ;;
  down) down ;;
  build) needs; build ;;
  env) echo "export KUBECONFIG=$RUN/admin.kubeconfig" ;;
  *) die "usage: local-cluster.sh up|down|build|env" ;;
esac
