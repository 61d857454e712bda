#!/usr/bin/env bash
# Starts and stops the real services that the integration tests and local development use:
#   kafka     single-node Apache Kafka broker in KRaft mode (jars from Maven Central, run with java)
#   redis     redis-server from Debian's packages
#   weaviate  single-node Weaviate, built from its Go module (go install, cached) on first `up`;
#             not in the default set unless its binary is already cached (name it to build it)
# All listen on 127.0.0.1 only. No Docker needed.
#
# Versions: services/versions.env names them (the one place; Compose and CI use the same).
#
# Usage: scripts/services.sh up|down|status|env|versions [kafka|redis|weaviate ...]   (no names: all)
#   up        start what is not running, wait until it answers; a no-op for what already runs
#   down      stop only the processes this script started (by pid file): SIGTERM, then SIGKILL
#   status    print each service's state; exit 0 only if all the named services are up
#   env       print `export VECTORIZE_TEST_...` lines, for: eval "$(scripts/services.sh env)"
#   versions  print `service version` for each named service, as `up` would run it
#
# Environment (defaults in brackets):
#   VECTORIZE_SERVICES_DIR    state: data, logs, pid files      [<repo>/.services]
#   VECTORIZE_SERVICES_CACHE  Kafka jars, the Weaviate binary   [$HOME/.cache/vectorize/services]
#   KAFKA_PORT [19092]  KAFKA_CONTROLLER_PORT [19093]  REDIS_PORT [16379]
#   WEAVIATE_VERSION [services/versions.env]  WEAVIATE_PORT [18080]  WEAVIATE_GRPC_PORT [15051]
#   WEAVIATE_GOSSIP_PORT [17946] (and +1 for cluster data)  WEAVIATE_RAFT_PORT [18300] (and +1)
#   WEAVIATE_START_TIMEOUT [120] (s)  GO [go]  the Go toolchain that builds Weaviate (1.25 or newer)
#   KAFKA_HEAP_OPTS [-Xmx512m -Xms128m]  KAFKA_START_TIMEOUT [120] (s)  STOP_TIMEOUT [30] (s)
#   JAVA_HOME or JAVA  the java to run Kafka with (17 or newer)  MVN [mvn]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVICES_SRC="$ROOT/services"
weaviate_version_override=${WEAVIATE_VERSION:-} # to try another release; the file holds the tested one
# shellcheck source=../services/versions.env
. "$SERVICES_SRC/versions.env"
STATE_DIR=${VECTORIZE_SERVICES_DIR:-$ROOT/.services}
CACHE_DIR=${VECTORIZE_SERVICES_CACHE:-${HOME:-/root}/.cache/vectorize/services}
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
REDIS_PORT=${REDIS_PORT:-16379}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
REDIS_START_TIMEOUT=${REDIS_START_TIMEOUT:-20}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
WEAVIATE_VERSION=${weaviate_version_override:-$WEAVIATE_VERSION}
WEAVIATE_PORT=${WEAVIATE_PORT:-18080}
WEAVIATE_GRPC_PORT=${WEAVIATE_GRPC_PORT:-15051}
WEAVIATE_GOSSIP_PORT=${WEAVIATE_GOSSIP_PORT:-17946}
WEAVIATE_RAFT_PORT=${WEAVIATE_RAFT_PORT:-18300}
WEAVIATE_START_TIMEOUT=${WEAVIATE_START_TIMEOUT:-120}
ALL_SERVICES=(kafka redis)
KNOWN_SERVICES=(kafka redis weaviate)

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] error: %s\n' "$*" >&2
  exit 1
}

now() { printf '%s' "${EPOCHREALTIME/[.,]/}"; } # microseconds
since() { # elapsed seconds since a `now` value, e.g. 1.234
  local us=$(($(now) - $1))
  printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

# Run a step and log how long it took: step "description" command args...
# Only in a plain context (not after `if`, `!`, `||`), so that errexit still applies inside it.
step() {
  local what=$1 t0
  shift
  t0=$(now)
  "$@"
  log "$what ($(since "$t0") s)"
}

check_port_number() {
  if ! [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] || (($2 > 65535)); then
    die "$1 must be a port number, got '$2'"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Who listens on a port, for error messages (best effort).
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1
  fi
}

# Fail with a clear message when a port we are about to listen on is taken.
require_free_port() {
  local service=$1 port=$2 owner
  if port_open "$port"; then
    owner=$(port_owner "$port")
    die "$service: port $port on 127.0.0.1 is already in use${owner:+ by $owner}, not by a process this script started. Stop it, or choose another port (e.g. ${3}=...)."
  fi
}

# The start time of a process (field 22 of /proc/PID/stat, in clock ticks since boot). Together
# with the pid it identifies the process, so a pid reused after a reboot is never signalled.
proc_starttime() {
  local stat rest fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) } # drop "pid (comm) ", comm may contain spaces and parentheses
  read -r -a fields <<<"$rest"
  printf '%s' "${fields[19]}"
}

pid_file() { printf '%s/%s/%s.pid' "$STATE_DIR" "$1" "$1"; }

# Prints the pid of the service's process if the pid file names a live process that this script
# started; removes a stale pid file (process gone, or the pid now belongs to something else).
running_pid() {
  local service=$1 file pid recorded current
  file=$(pid_file "$service")
  [[ -f $file ]] || return 1
  pid=$(head -1 "$file")
  recorded=$(sed -n 2p "$file")
  if [[ $pid =~ ^[0-9]+$ ]] && current=$(proc_starttime "$pid") && [[ $current == "$recorded" ]]; then
    # A zombie (exited, not yet reaped) counts as gone.
    [[ $(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) != Z ]] || return 1
    printf '%s' "$pid"
    return 0
  fi
  log "$service: removing stale pid file $file (process ${pid:-?} is gone)"
  rm -f "$file"
  return 1
}

# Start a command in the background, in its own session, detached from the terminal; write
# "pid\nstarttime" to the service's pid file. Usage: launch SERVICE OUTFILE command args...
launch() {
  local service=$1 out=$2 file tmp pid start i
  shift 2
  file=$(pid_file "$service")
  tmp="$file.launching"
  rm -f "$tmp"
  # The inner shell writes its own pid, then execs the service, which keeps that pid. (setsid
  # forks when it has to, so $! is not reliable.)
  # shellcheck disable=SC2016
  # fd 9 is the state directory's lock: the service must not hold it after this script exits.
  setsid bash -c 'printf "%s\n" "$$" >"$0"; exec "$@"' "$tmp" "$@" </dev/null >>"$out" 2>&1 9>&- &
  for ((i = 0; i < 100; i++)); do
    [[ -s $tmp ]] && break
    sleep 0.05
  done
  [[ -s $tmp ]] || die "$service: the process did not start (see $out)"
  pid=$(head -1 "$tmp")
  start=$(proc_starttime "$pid") || start=
  printf '%s\n%s\n' "$pid" "$start" >"$file"
  rm -f "$tmp"
}

# SIGTERM the service's process, wait up to STOP_TIMEOUT s, then SIGKILL.
stop_service() {
  local service=$1 pid i t0
  if ! pid=$(running_pid "$service"); then
    log "$service: not running"
    return 0
  fi
  t0=$(now)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    running_pid "$service" >/dev/null 2>&1 || break
    sleep 0.1
  done
  if running_pid "$service" >/dev/null 2>&1; then
    log "$service: pid $pid still running after ${STOP_TIMEOUT} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      running_pid "$service" >/dev/null 2>&1 || break
      sleep 0.1
    done
  fi
  rm -f "$(pid_file "$service")"
  log "$service: stopped pid $pid ($(since "$t0") s)"
}

START_MARK='===== scripts/services.sh: starting'

# Append a marker to each log, so that a failed start shows only what this start wrote.
mark_logs() {
  local service=$1 f
  shift
  for f in "$@"; do
    printf '%s %s at %s =====\n' "$START_MARK" "$service" "$(date '+%Y-%m-%d %H:%M:%S')" >>"$f"
  done
}

# Print the last 50 lines each log got since its last start marker.
show_log_tail() {
  local f lines
  for f in "$@"; do
    [[ -s $f ]] || continue
    lines=$(awk -v mark="$START_MARK" 'index($0, mark) == 1 { n = 0; next } { line[++n] = $0 }
      END { for (i = (n > 50 ? n - 49 : 1); i <= n; i++) print line[i] }' "$f")
    [[ -n $lines ]] || continue
    printf '\n----- %s (last 50 lines of this start) -----\n%s\n----- end of %s -----\n\n' \
      "$f" "$lines" "$f" >&2
  done
}

# Install Debian packages when a command is missing (root, or password-less sudo). Never starts
# the packaged services: a temporary policy-rc.d denies it, as Debian's invoke-rc.d honours.
apt_install() {
  local sudo=() policy=/usr/sbin/policy-rc.d added_policy=0 rc=0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
      die "need root to install $* (run: sudo apt-get install -y $*)"
    fi
    sudo=(sudo -n)
  fi
  if [[ ! -e $policy ]]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
    added_policy=1
  fi
  log "installing $* with apt-get"
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
    -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${apt[@]}" install --no-install-recommends "$@" >/dev/null 2>&1 ||
    { "${apt[@]}" update >/dev/null && "${apt[@]}" install --no-install-recommends "$@" >/dev/null; } ||
    rc=$?
  if ((added_policy)); then "${sudo[@]}" rm -f "$policy"; fi
  ((rc == 0)) || die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------------------------
# redis

redis_ping() {
  if command -v redis-cli >/dev/null 2>&1; then
    [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
  else
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || true
    exec 3<&-
    [[ $reply == +PONG* ]]
  fi
}

redis_install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  apt_install redis-server
  # The package enables its unit for boot (its start was denied above); undo that, this redis is
  # ours to start and stop. (systemctl disable also works when systemd is not running.)
  local sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  if command -v systemctl >/dev/null 2>&1; then
    "${sudo[@]}" systemctl disable --quiet redis-server.service >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    "${sudo[@]}" update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
}

# The apt package cannot be pinned: say so when it is not the version the deployment files name.
redis_check_version() {
  local have
  have=$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9.]*\) .*/\1/p')
  [[ $have == "$REDIS_VERSION" ]] ||
    log "redis: warning: redis-server is ${have:-of unknown version}, services/versions.env names $REDIS_VERSION (Compose runs that one)"
}

redis_wait() {
  local pid=$1 i
  for ((i = 0; i < REDIS_START_TIMEOUT * 10; i++)); do
    redis_ping && return 0
    running_pid redis >/dev/null 2>&1 || {
      log "redis: the process (pid $pid) exited during startup"
      return 1
    }
    sleep 0.1
  done
  log "redis: no PONG on 127.0.0.1:$REDIS_PORT after ${REDIS_START_TIMEOUT} s"
  return 1
}

redis_up() {
  local dir="$STATE_DIR/redis" pid t0
  t0=$(now)
  if pid=$(running_pid redis); then
    redis_wait "$pid" ||
      die "redis: pid $pid runs but does not answer on 127.0.0.1:$REDIS_PORT (see $dir/redis.log)"
    log "redis: already running (pid $pid, 127.0.0.1:$REDIS_PORT), answers PING"
    return 0
  fi
  step "redis: redis-server present" redis_install
  redis_check_version
  require_free_port redis "$REDIS_PORT" REDIS_PORT
  mkdir -p "$dir"
  mark_logs redis "$dir/redis.log"
  launch redis "$dir/redis.log" redis-server \
    --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --save '' --appendonly no --daemonize no \
    --dir "$dir" --logfile "$dir/redis.log" --loglevel notice
  pid=$(running_pid redis) || {
    show_log_tail "$dir/redis.log"
    die "redis: exited at once"
  }
  log "redis: started pid $pid"
  if ! redis_wait "$pid"; then
    stop_service redis
    show_log_tail "$dir/redis.log"
    die "redis: failed to start"
  fi
  log "redis: up in $(since "$t0") s, answers PING on 127.0.0.1:$REDIS_PORT"
}

# ---------------------------------------------------------------------------------------------
# kafka

kafka_version() { printf '%s' "$KAFKA_VERSION"; }

# The jar directory for the current pom (its hash is part of the path, so editing the pom
# fetches afresh). Prints it.
kafka_jar_dir() {
  local hash
  hash=$(sha256sum "$SERVICES_SRC/kafka/pom.xml" | cut -c1-12)
  printf '%s/kafka/%s-%s' "$CACHE_DIR" "$(kafka_version)" "$hash"
}

find_java() {
  local java=${JAVA:-}
  if [[ -z $java && -n ${JAVA_HOME:-} && -x ${JAVA_HOME}/bin/java ]]; then java=$JAVA_HOME/bin/java; fi
  if [[ -z $java ]]; then
    command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
    java=java
  fi
  local major
  major=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  [[ ${major:-0} -ge 17 ]] || die "kafka: needs Java 17 or newer, $java is ${major:-unknown}"
  printf '%s' "$java"
}

kafka_fetch() {
  local dest=$1 tmp mvn=${MVN:-mvn}
  [[ -f $dest/.complete ]] && return 0
  command -v "$mvn" >/dev/null 2>&1 || apt_install maven
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "kafka: fetching Apache Kafka $(kafka_version) and its dependencies with Maven into $dest"
  if ! "$mvn" -B -q -f "$SERVICES_SRC/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$(kafka_version)" -DincludeScope=runtime -DoutputDirectory="$tmp/jars" \
    >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    die "kafka: mvn dependency:copy-dependencies failed"
  fi
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
}

# JVM options shared by the broker and the tools.
kafka_jvm_common() {
  printf '%s\n' -Djava.awt.headless=true -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xshare:auto
}

# Run a Kafka command-line tool: kafka_tool [timeout SECONDS] MAINCLASS args...
kafka_tool() {
  local limit=()
  if [[ $1 == timeout ]]; then
    limit=(timeout "$2")
    shift 2
  fi
  "${limit[@]}" "$KAFKA_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$SERVICES_SRC/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_CP" "$@"
}

# Render server.properties and format the storage once (KRaft: a cluster id and a standalone
# dynamic quorum whose only voter is this node's controller listener).
kafka_configure() {
  local dir="$STATE_DIR/kafka" tpl cluster_id formatted
  mkdir -p "$dir/data"
  tpl=$(<"$SERVICES_SRC/kafka/server.properties.template")
  tpl=${tpl//@KAFKA_PORT@/"$KAFKA_PORT"}
  tpl=${tpl//@KAFKA_CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}
  tpl=${tpl//@KAFKA_DATA_DIR@/"$dir/data"}
  printf '%s\n' "$tpl" >"$dir/server.properties"

  # The quorum's voter endpoint is written into the metadata log at format time, so a storage
  # formatted for another controller port cannot be reused.
  formatted="controller=127.0.0.1:$KAFKA_CONTROLLER_PORT"
  if [[ -f $dir/data/meta.properties ]]; then
    if [[ $(cat "$dir/formatted-for" 2>/dev/null) != "$formatted" ]]; then
      die "kafka: $dir/data was formatted for $(cat "$dir/formatted-for" 2>/dev/null || echo 'another setup'), not $formatted. Remove it (scripts/services.sh down kafka && rm -rf '$dir/data') and run up again."
    fi
    return 0
  fi
  cluster_id=$(kafka_tool kafka.tools.StorageTool random-uuid)
  kafka_tool kafka.tools.StorageTool format --standalone \
    --config "$dir/server.properties" --cluster-id "$cluster_id" >"$dir/format.log" 2>&1 || {
    cat "$dir/format.log" >&2
    die "kafka: formatting the storage in $dir/data failed"
  }
  printf '%s\n' "$formatted" >"$dir/formatted-for"
  printf '%s\n' "$cluster_id" >"$dir/cluster-id"
  log "kafka: formatted $dir/data (KRaft, cluster id $cluster_id, standalone controller quorum)"
}

# Ready = the port accepts connections and an AdminClient can create a topic: on a freshly
# formatted broker, `--list` answers seconds before the first topic creation does (a test's first
# createTopics timed out in CI), so a probe topic is created and deleted. Then a group is described,
# which makes the broker create __consumer_offsets and load its group coordinator (a test's first
# describeGroups timed out in CI on a fresh broker).
kafka_wait() {
  local pid=$1 deadline=$((SECONDS + KAFKA_START_TIMEOUT)) out
  local probe=(--bootstrap-server "127.0.0.1:$KAFKA_PORT" --topic vectorize-services-probe)
  while ((SECONDS < deadline)); do
    running_pid kafka >/dev/null 2>&1 || {
      log "kafka: the broker (pid $pid) exited during startup"
      return 1
    }
    if port_open "$KAFKA_PORT"; then
      if out=$(kafka_tool timeout 30 org.apache.kafka.tools.TopicCommand \
        "${probe[@]}" --create --if-not-exists --partitions 1 --replication-factor 1 2>&1) &&
        out=$(kafka_tool timeout 30 org.apache.kafka.tools.TopicCommand "${probe[@]}" --delete 2>&1) &&
        out=$(kafka_tool timeout 30 org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
          --bootstrap-server "127.0.0.1:$KAFKA_PORT" --describe --group vectorize-services-probe 2>&1); then
        return 0
      fi
    fi
    sleep 0.5
  done
  log "kafka: not ready on 127.0.0.1:$KAFKA_PORT after ${KAFKA_START_TIMEOUT} s${out:+; last answer: $out}"
  return 1
}

kafka_up() {
  local dir="$STATE_DIR/kafka" jars pid t0 heap=() common=()
  t0=$(now)
  KAFKA_JAVA=$(find_java)
  jars=$(kafka_jar_dir)
  KAFKA_CP="$jars/jars/*"
  if pid=$(running_pid kafka); then
    # It passed the full check when this script started it; a full check again costs a JVM start.
    if ! port_open "$KAFKA_PORT"; then
      kafka_wait "$pid" ||
        die "kafka: pid $pid runs but does not answer on 127.0.0.1:$KAFKA_PORT (see $dir/server.log)"
    fi
    log "kafka: already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
    return 0
  fi
  if [[ -f $jars/.complete ]]; then
    log "kafka: jars cached in $jars"
  else
    step "kafka: fetched $(kafka_version) jars" kafka_fetch "$jars"
  fi
  require_free_port kafka "$KAFKA_PORT" KAFKA_PORT
  require_free_port kafka "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  step "kafka: configured $dir" kafka_configure

  read -r -a heap <<<"${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
  mapfile -t common < <(kafka_jvm_common)
  mark_logs kafka "$dir/stdout.log" "$dir/server.log"
  launch kafka "$dir/stdout.log" "$KAFKA_JAVA" "${heap[@]}" "${common[@]}" \
    -Dkafka.logs.dir="$dir" \
    -Dlog4j2.configurationFile="$SERVICES_SRC/kafka/log4j2.properties" \
    -cp "$KAFKA_CP" kafka.Kafka "$dir/server.properties"
  pid=$(running_pid kafka) || {
    show_log_tail "$dir/stdout.log" "$dir/server.log"
    die "kafka: exited at once"
  }
  log "kafka: started pid $pid (Apache Kafka $(kafka_version), log $dir/server.log)"
  local t1
  t1=$(now)
  if ! kafka_wait "$pid"; then
    stop_service kafka
    show_log_tail "$dir/stdout.log" "$dir/server.log"
    die "kafka: failed to start"
  fi
  log "kafka: ready after $(since "$t1") s; up in $(since "$t0") s, listening on 127.0.0.1:$KAFKA_PORT"
}

# ---------------------------------------------------------------------------------------------
# weaviate

weaviate_binary() { printf '%s/weaviate-%s/weaviate-server' "$CACHE_DIR" "$WEAVIATE_VERSION"; }

# Listeners that upstream opens on every interface (":port"): the public gRPC API, the cluster
# data API (HTTP and gRPC) and the profiling/metrics servers. The build patches each of them to
# listen on 127.0.0.1 (nothing else changes). The REST API takes --host, and memberlist/raft take
# CLUSTER_BIND_ADDR. (go build -overlay would be lighter, but it refuses files in the module cache.)
WEAVIATE_LOOPBACK_FILES=(
  adapters/handlers/grpc/server.go
  adapters/handlers/rest/clusterapi/serve.go
  adapters/handlers/rest/clusterapi/grpc/server.go
  adapters/handlers/rest/configure_api.go
)

# Patches the listeners in the source tree $1; fails when a file no longer has one to patch.
weaviate_patch() {
  local src=$1 f
  for f in "${WEAVIATE_LOOPBACK_FILES[@]}"; do
    sed -i -e 's/fmt\.Sprintf(":%d"/fmt.Sprintf("127.0.0.1:%d"/g' -e 's/":6060"/"127.0.0.1:6060"/g' "$src/$f"
    grep -q '127\.0\.0\.1:%d' "$src/$f" ||
      die "weaviate: $f of v$WEAVIATE_VERSION has no \":%d\" listener to patch; check weaviate_patch"
  done
  if grep -rn --include='*.go' 'Sprintf(":%d"' "$src/adapters" "$src/usecases" "$src/cluster" | grep -v _test.go >&2; then
    die "weaviate: v$WEAVIATE_VERSION has listeners on every interface that weaviate_patch does not cover (above)"
  fi
}

# Builds weaviate-server (the module from the Go module proxy, listeners patched to loopback) into
# the cache, once per version.
weaviate_build() {
  local bin dest tmp go=${GO:-go} module="github.com/weaviate/weaviate" src
  bin=$(weaviate_binary)
  [[ -x $bin ]] && return 0
  command -v "$go" >/dev/null 2>&1 ||
    die "weaviate: no Go toolchain ('$go'); install Go 1.25 or newer (Debian's golang is too old), or set GO=/path/to/go"
  dest=$(dirname "$bin")
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "weaviate: building $module v$WEAVIATE_VERSION with $("$go" version | cut -d' ' -f3) (15-30 min on 2 cores; cached afterwards in $dest)"
  src=$(GOFLAGS=-mod=mod "$go" mod download -json "$module@v$WEAVIATE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $src ]] || die "weaviate: go mod download $module@v$WEAVIATE_VERSION failed"
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  weaviate_patch "$tmp/src"
  if ! (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS='-buildvcs=false -mod=mod' nice -n 10 "$go" build \
    -o "$tmp/weaviate-server" ./cmd/weaviate-server) >"$tmp/build.log" 2>&1; then
    tail -40 "$tmp/build.log" >&2
    die "weaviate: go build of $module/cmd/weaviate-server v$WEAVIATE_VERSION failed"
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  mv "$tmp/weaviate-server" "$bin"
  rm -rf "$tmp"
  trap - EXIT
}

weaviate_ready() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$WEAVIATE_PORT/v1/.well-known/ready" 2>/dev/null) == 200 ]]
}

weaviate_wait() {
  local pid=$1 deadline=$((SECONDS + WEAVIATE_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    running_pid weaviate >/dev/null 2>&1 || {
      log "weaviate: the server (pid $pid) exited during startup"
      return 1
    }
    weaviate_ready && return 0
    sleep 0.2
  done
  log "weaviate: not ready on 127.0.0.1:$WEAVIATE_PORT after ${WEAVIATE_START_TIMEOUT} s"
  return 1
}

weaviate_up() {
  local dir="$STATE_DIR/weaviate" pid t0 p
  local gossip=$WEAVIATE_GOSSIP_PORT raft=$WEAVIATE_RAFT_PORT
  t0=$(now)
  if pid=$(running_pid weaviate); then
    weaviate_wait "$pid" ||
      die "weaviate: pid $pid runs but is not ready on 127.0.0.1:$WEAVIATE_PORT (see $dir/weaviate.log)"
    log "weaviate: already running (pid $pid, 127.0.0.1:$WEAVIATE_PORT)"
    return 0
  fi
  if [[ -x $(weaviate_binary) ]]; then
    log "weaviate: binary cached in $(weaviate_binary)"
  else
    step "weaviate: built v$WEAVIATE_VERSION" weaviate_build
  fi
  for p in WEAVIATE_PORT WEAVIATE_GRPC_PORT; do require_free_port weaviate "${!p}" "$p"; done
  require_free_port weaviate "$gossip" WEAVIATE_GOSSIP_PORT
  require_free_port weaviate $((gossip + 1)) WEAVIATE_GOSSIP_PORT
  require_free_port weaviate "$raft" WEAVIATE_RAFT_PORT
  require_free_port weaviate $((raft + 1)) WEAVIATE_RAFT_PORT
  mkdir -p "$dir/data"
  mark_logs weaviate "$dir/weaviate.log"
  # One node that is its own raft quorum, everything on loopback, no modules, no telemetry.
  launch weaviate "$dir/weaviate.log" env \
    PERSISTENCE_DATA_PATH="$dir/data" \
    AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES= \
    DISABLE_TELEMETRY=true GO_PROFILING_DISABLE=true PROMETHEUS_MONITORING_ENABLED=false \
    CLUSTER_HOSTNAME=vectorize-weaviate CLUSTER_IN_LOCALHOST=true CLUSTER_BIND_ADDR=127.0.0.1 \
    CLUSTER_ADVERTISE_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT="$gossip" CLUSTER_DATA_BIND_PORT=$((gossip + 1)) \
    RAFT_PORT="$raft" RAFT_INTERNAL_RPC_PORT=$((raft + 1)) \
    RAFT_JOIN="vectorize-weaviate:$((raft + 1))" RAFT_BOOTSTRAP_EXPECT=1 \
    GRPC_PORT="$WEAVIATE_GRPC_PORT" LOG_LEVEL=warning \
    "$(weaviate_binary)" --host 127.0.0.1 --port "$WEAVIATE_PORT" --scheme http
  pid=$(running_pid weaviate) || {
    show_log_tail "$dir/weaviate.log"
    die "weaviate: exited at once"
  }
  log "weaviate: started pid $pid (v$WEAVIATE_VERSION, log $dir/weaviate.log)"
  if ! weaviate_wait "$pid"; then
    stop_service weaviate
    show_log_tail "$dir/weaviate.log"
    die "weaviate: failed to start"
  fi
  log "weaviate: up in $(since "$t0") s on 127.0.0.1:$WEAVIATE_PORT (gRPC $WEAVIATE_GRPC_PORT)"
}

# ---------------------------------------------------------------------------------------------
# commands

service_port() {
  case $1 in
    kafka) printf '%s' "$KAFKA_PORT" ;;
    redis) printf '%s' "$REDIS_PORT" ;;
    weaviate) printf '%s' "$WEAVIATE_PORT" ;;
  esac
}

service_ready() {
  case $1 in
    kafka) port_open "$KAFKA_PORT" ;;
    redis) redis_ping ;;
    weaviate) weaviate_ready ;;
  esac
}

cmd_status() {
  local service pid ok=0
  for service in "$@"; do
    if pid=$(running_pid "$service" 2>/dev/null); then
      if service_ready "$service"; then
        printf '%s: running (pid %s, 127.0.0.1:%s)\n' "$service" "$pid" "$(service_port "$service")"
      else
        printf '%s: started (pid %s) but not answering on 127.0.0.1:%s\n' "$service" "$pid" "$(service_port "$service")"
        ok=1
      fi
    else
      printf '%s: stopped\n' "$service"
      ok=1
    fi
  done
  return "$ok"
}

cmd_env() {
  local service
  for service in "$@"; do
    case $service in
      kafka) printf 'export VECTORIZE_TEST_KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT" ;;
      redis) printf 'export VECTORIZE_TEST_REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT" ;;
      weaviate)
        printf 'export VECTORIZE_TEST_WEAVIATE_URL=http://127.0.0.1:%s\n' "$WEAVIATE_PORT"
        printf 'export VECTORIZE_TEST_WEAVIATE_GRPC_PORT=%s\n' "$WEAVIATE_GRPC_PORT"
        ;;
    esac
  done
}

cmd_versions() {
  local service
  for service in "$@"; do
    case $service in
      kafka) printf 'kafka %s\n' "$(kafka_version)" ;;
      redis) printf 'redis %s\n' "$REDIS_VERSION" ;;
      weaviate) printf 'weaviate %s\n' "$WEAVIATE_VERSION" ;;
    esac
  done
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit "${1:-2}"
}

main() {
  local cmd=${1:-} services=() s t0
  [[ -n $cmd ]] || usage
  shift
  case $cmd in -h | --help | help) usage 0 ;; esac
  for s in "$@"; do
    case $s in
      kafka | redis | weaviate) services+=("$s") ;;
      *) die "unknown service '$s' (known: ${KNOWN_SERVICES[*]})" ;;
    esac
  done
  # Weaviate joins the default set only once its binary is cached: building it takes minutes.
  [[ -x $(weaviate_binary) ]] && ALL_SERVICES+=(weaviate)
  if [[ $cmd == versions ]]; then ALL_SERVICES=("${KNOWN_SERVICES[@]}"); fi
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  check_port_number KAFKA_PORT "$KAFKA_PORT"
  check_port_number KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  check_port_number REDIS_PORT "$REDIS_PORT"
  local p
  for p in WEAVIATE_PORT WEAVIATE_GRPC_PORT WEAVIATE_GOSSIP_PORT WEAVIATE_RAFT_PORT; do
    check_port_number "$p" "${!p}"
  done

  case $cmd in
    up | down)
      mkdir -p "$STATE_DIR"
      # One `up`/`down` at a time per state directory.
      exec 9>"$STATE_DIR/.lock"
      flock -w 300 9 || die "another scripts/services.sh holds $STATE_DIR/.lock"
      t0=$(now)
      for s in "${services[@]}"; do
        if [[ $cmd == up ]]; then "${s}_up"; else stop_service "$s"; fi
      done
      log "$cmd ${services[*]}: done in $(since "$t0") s"
      ;;
    status) cmd_status "${services[@]}" ;;
    env) cmd_env "${services[@]}" ;;
    versions) cmd_versions "${services[@]}" ;;
    *) usage ;;
  esac
}

main "$@"
