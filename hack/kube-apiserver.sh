#!/usr/bin/env bash
# A real kube-apiserver for KUBEDC_TEST_KUBECONFIG, from Debian packages only (no registry of
# Kubernetes binaries is reachable here): builds kube-apiserver and kube-controller-manager
# v1.20.2 from bookworm's `kubernetes` source package with Debian's Go 1.19, and runs them on
# etcd 3.4 from bookworm, on 127.0.0.1 only. Nothing is installed system-wide.
#
#   hack/kube-apiserver.sh build   # ~7 minutes on 2 cores, ~1.2 GB under $W
#   hack/kube-apiserver.sh start   # writes $R/kubeconfig (admin via a static token)
#   hack/kube-apiserver.sh stop
#
# 1.20 is old: it drops x-kubernetes-validations (no CEL) and has EndpointSlice only as
# v1beta1, so it checks the client paths against a real server, not a current one.
set -euo pipefail
W=${W:-$PWD/.cache/kube-apiserver}
R=${R:-$W/run}
B=$W/bin
PORT=${PORT:-16443}
EPORT=${EPORT:-12379}
TOKEN=${TOKEN:-kubedc-test-token}

build() {
  mkdir -p "$W"/{debs,tools,apt/parts,apt/lists/partial,src,bin}
  cd "$W"
  # etcd, the Go 1.19 toolchain, and reflect2 1.0.2 (see below), unpacked, not installed.
  (cd debs && apt-get download etcd-server golang-1.19-go golang-1.19-src golang-github-modern-go-reflect2-dev)
  for deb in debs/*.deb; do dpkg -x "$deb" tools; done
  export GOROOT=$W/tools/usr/lib/go-1.19
  # The full 1.20.2 source tree with vendor/, through a private deb-src list made from the
  # machine's own Debian sources.
  local sources
  sources=$(grep -l '^Suites: bookworm bookworm-updates' /etc/apt/sources.list.d/*.sources | head -1)
  sed 's/^Types: deb$/Types: deb-src/' "$sources" > apt/parts/src.sources
  local apt=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$W/apt/parts" -o Dir::State::Lists="$W/apt/lists")
  apt-get "${apt[@]}" update > /dev/null
  (cd src && apt-get "${apt[@]}" source --download-only kubernetes)
  tar xzf src/kubernetes_*.orig.tar.gz -C src
  mkdir -p "$W/gp/src/k8s.io"
  ln -sfn "$W/src/kubernetes-1.20.2" "$W/gp/src/k8s.io/kubernetes"
  export PATH=$GOROOT/bin:$PATH GOPATH=$W/gp GOCACHE=$W/gocache GO111MODULE=off GOPROXY=off GOFLAGS='' CGO_ENABLED=0
  cd "$W/gp/src/k8s.io/kubernetes"
  # The vendored reflect2 1.0.1 segfaults (mapiterinit) under Go >= 1.18 when encoding a map.
  rm -rf vendor/github.com/modern-go/reflect2
  cp -r "$W/tools/usr/share/gocode/src/github.com/modern-go/reflect2" vendor/github.com/modern-go/
  rm -f vendor/github.com/modern-go/reflect2/go.mod
  # The OpenAPI type check of 1.20 takes a value equal to its type's zero for null
  # (reflect.DeepEqual(reflect.Zero(...), ...)); in this Go 1.19 build an empty string then fails
  # "must be of type string: null" in every custom resource. Today's kube-openapi checks
  # data == nil only: do the same.
  sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' \
    vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go vendor/github.com/go-openapi/validate/type.go
  # The tarball says v0.0.0-master; clients read the major and minor from /version.
  for file in staging/src/k8s.io/component-base/version/base.go staging/src/k8s.io/client-go/pkg/version/base.go; do
    sed -i -E 's|"v0\.0\.0-master\+faecb196815e2"|"v1.20.2"|;
               s|^\tgitMajor string( = "")? //|\tgitMajor string = "1" //|;
               s|^\tgitMinor string( = "")? //|\tgitMinor string = "20" //|' "$file"
  done
  # pkg/generated/openapi is generated at build time and not in the tarball.
  go build -o "$W/bin/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  local dirs
  dirs=$(find -H . -not \( \( -path './_*' -o -path './.*' -o -path ./vendor \) -prune \) -type f -name '*.go' \
    | sed 's|^./staging/src|vendor|; s|^\./||' \
    | xargs grep -l '^// *+k8s:openapi-gen=' \
    | grep -vE '^vendor/k8s.io/(code-generator|sample-apiserver)/' \
    | xargs -n1 dirname | LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)
  "$W/bin/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$W/openapi_violations.report"
  go build -o "$B/kube-apiserver" -ldflags "-s -w" ./cmd/kube-apiserver
  go build -o "$B/kube-controller-manager" -ldflags "-s -w" ./cmd/kube-controller-manager
  cp "$W/tools/usr/bin/etcd" "$B/etcd"
}

start() {
  mkdir -p "$R/certs"
  if [ ! -f "$R/certs/sa.key" ]; then
    openssl genrsa -out "$R/certs/sa.key" 2048 2> /dev/null
    openssl rsa -in "$R/certs/sa.key" -pubout -out "$R/certs/sa.pub" 2> /dev/null
  fi
  echo "$TOKEN,admin,admin-uid,system:masters" > "$R/certs/tokens.csv"
  "$B/etcd" --data-dir "$R/etcd" --listen-client-urls "http://127.0.0.1:$EPORT" \
    --advertise-client-urls "http://127.0.0.1:$EPORT" --listen-peer-urls "http://127.0.0.1:$((EPORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((EPORT + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((EPORT + 1))" > "$R/etcd.log" 2>&1 &
  echo $! > "$R/etcd.pid"
  # The endpoint reconciler would complain on every sync that 127.0.0.1 is a loopback address.
  "$B/kube-apiserver" --etcd-servers="http://127.0.0.1:$EPORT" \
    --bind-address=127.0.0.1 --secure-port="$PORT" --advertise-address=127.0.0.1 --cert-dir="$R/certs" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$R/certs/sa.pub" --service-account-signing-key-file="$R/certs/sa.key" \
    --token-auth-file="$R/certs/tokens.csv" --authorization-mode=RBAC \
    --service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none > "$R/apiserver.log" 2>&1 &
  echo $! > "$R/apiserver.pid"
  local code=000
  for _try in $(seq 1 120); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/readyz" -H "Authorization: Bearer $TOKEN" || true)
    [ "$code" = 200 ] && break
    sleep 0.5
  done
  [ "$code" = 200 ] || { echo "kube-apiserver not ready" >&2; tail -20 "$R/apiserver.log" >&2; exit 1; }
  cat > "$R/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $R/certs/apiserver.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
KUBECONFIG
  # Namespace deletion, default ServiceAccounts and their tokens come from the controllers.
  "$B/kube-controller-manager" --kubeconfig="$R/kubeconfig" --leader-elect=false \
    --service-account-private-key-file="$R/certs/sa.key" --root-ca-file="$R/certs/apiserver.crt" \
    --bind-address=127.0.0.1 --port=0 --secure-port=0 --controllers='*' > "$R/kcm.log" 2>&1 &
  echo $! > "$R/kcm.pid"
  echo "KUBEDC_TEST_KUBECONFIG=$R/kubeconfig"
}

stop() {
  for name in kcm apiserver etcd; do
    if [ -f "$R/$name.pid" ]; then
      kill "$(cat "$R/$name.pid")" 2> /dev/null || true
      rm -f "$R/$name.pid"
    fi
  done
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 build|start|stop" >&2; exit 2 ;;
esac
