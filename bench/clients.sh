#!/usr/bin/env bash
# Client-level timings: `podman run --rm … true`, `ctr run --rm … true`, `docker run --rm … true` and
# exec latency (`podman exec`, `ctr task exec`, `docker exec` of `true` in a running container),
# with hull vs runc vs crun, interleaved round-robin (the first runtime rotates each round), n runs each.
# The clients are set up and torn down by scripts/clients-e2e (temp dir, unix sockets, local busybox).
#
# Usage: bench/clients.sh [-n 20] [--clients "podman ctr docker"] [--runtimes "hull runc crun"] [--hull PATH]
# Prints a markdown table: median, p90 and min wall time in ms per client, operation and runtime.
# crun needs the hugetlb host step of docs/host.md (scripts/setup does it); without it crun is skipped.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=20; CLIENTS="podman ctr docker"; RUNTIMES="hull runc crun"; INNER=0
while [ $# -gt 0 ]; do
  case $1 in
    -n) N=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --runtimes) RUNTIMES=$2; shift 2 ;;
    --hull) export HULL=$2; shift 2 ;;
    --inner) INNER=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "clients.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ $INNER = 0 ]; then
  exec "$REPO/scripts/clients-e2e" --clients "$CLIENTS" --runtimes "$RUNTIMES" --run "$REPO/bench/clients.sh --inner -n $N"
fi

# ---- inside scripts/clients-e2e: E2E_* describe the running clients
CLIENTS=$E2E_CLIENTS
RTS=()
for rt in $E2E_RUNTIMES; do
  case $rt in
    hull) RTS+=(hull) ;;
    runc) [ -n "$E2E_RUNC" ] && RTS+=(runc) ;;
    crun) if [ -n "$E2E_CRUN" ]; then RTS+=(crun); else echo "clients.sh: crun skipped (cgroup2 still has hugetlb: run scripts/setup)" >&2; fi ;;
  esac
done
declare -A RTPATH=([hull]=$E2E_HULL [runc]=$E2E_RUNC [crun]=$E2E_CRUN)
CTR=$E2E_CTR; DOCKER=$E2E_DOCKER; TAG=$E2E_TAG; T=$E2E_TMP
declare -A SAMPLES FAILS

# one timed command: appends ms to SAMPLES[key]
timed() {
  local key=$1; shift
  local t0=$EPOCHREALTIME
  if "$@" >/dev/null 2>&1; then
    local t1=$EPOCHREALTIME
    SAMPLES[$key]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)*1000}')"
  else
    FAILS[$key]=$(( ${FAILS[$key]:-0} + 1 ))
  fi
}

run_cmd() {   # client rt i
  local rt=$2 p=${RTPATH[$2]}
  case $1 in
    podman) [ "$rt" = hull ] && p=hull; echo "podman run --rm --network none --runtime $p localhost/busybox true" ;;
    ctr) echo "$CTR run --rm --runc-binary $p --runc-root $T/containerd/rt-$rt localhost/busybox:latest $TAG-$rt-b$3 true" ;;
    docker) echo "$DOCKER run --rm --network none --runtime $rt busybox true" ;;
  esac
}
start_cmd() { # client rt name
  local rt=$2 p=${RTPATH[$2]}
  case $1 in
    podman) [ "$rt" = hull ] && p=hull; echo "podman run -d --network none --runtime $p --name $3 localhost/busybox sleep 1000" ;;
    ctr) echo "$CTR run -d --runc-binary $p --runc-root $T/containerd/rt-$rt localhost/busybox:latest $3 sleep 1000" ;;
    docker) echo "$DOCKER run -d --network none --runtime $rt --name $3 busybox sleep 1000" ;;
  esac
}
exec_cmd() {  # client name i
  case $1 in
    podman) echo "podman exec $2 true" ;;
    ctr) echo "$CTR tasks exec --exec-id x$3 $2 true" ;;
    docker) echo "$DOCKER exec $2 true" ;;
  esac
}
stop_cmd() {
  case $1 in
    podman) podman rm -f -t 0 "$2" ;;
    ctr) $CTR tasks kill -s SIGKILL "$2"; sleep 0.3; $CTR tasks delete -f "$2"; $CTR containers delete "$2" ;;
    docker) $DOCKER rm -f "$2" ;;
  esac >/dev/null 2>&1
}

k=${#RTS[@]}
for client in $CLIENTS; do
  echo "clients.sh: $client run --rm, ${RTS[*]}, n=$N (+2 warm-up)" >&2
  for i in $(seq -1 "$N"); do
    for j in $(seq 0 $((k - 1))); do
      rt=${RTS[$(( (j + i + k) % k ))]}
      if [ "$i" -le 0 ]; then $(run_cmd "$client" "$rt" "w$i") >/dev/null 2>&1; continue; fi
      timed "$client|run --rm true|$rt" $(run_cmd "$client" "$rt" "$i")
    done
  done
  echo "clients.sh: $client exec, ${RTS[*]}, n=$N (+2 warm-up)" >&2
  for rt in "${RTS[@]}"; do $(start_cmd "$client" "$rt" "$TAG-$rt-x") >/dev/null 2>&1 || echo "clients.sh: $client $rt: could not start the exec container" >&2; done
  for i in $(seq -1 "$N"); do
    for j in $(seq 0 $((k - 1))); do
      rt=${RTS[$(( (j + i + k) % k ))]}
      if [ "$i" -le 0 ]; then $(exec_cmd "$client" "$TAG-$rt-x" "w$i$j") >/dev/null 2>&1; continue; fi
      timed "$client|exec true|$rt" $(exec_cmd "$client" "$TAG-$rt-x" "$i")
    done
  done
  for rt in "${RTS[@]}"; do stop_cmd "$client" "$TAG-$rt-x"; done
done

# direct runtime exec (no client), for reference: `RT exec ID true` and `RT exec --detach --process F ID`
echo "clients.sh: direct exec, ${RTS[*]}, n=$N (+2 warm-up)" >&2
B=$T/direct-bundle
"$REPO/bundles/make-rootfs" "$B/rootfs" >/dev/null
printf '{"args":["true"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}' > "$T/direct-process.json"
for rt in "${RTS[@]}"; do
  jq --arg cg "/$TAG-direct/$rt" '.process.args = ["sleep", "1000"] | .process.terminal = false | .linux.cgroupsPath = $cg' \
    "$REPO/bundles/busybox/config.json" > "$B/config.json"
  (cd "$B" && ${RTPATH[$rt]} --root "$T/direct-$rt" run -d --bundle "$B" "$TAG-$rt" </dev/null >/dev/null 2>&1) \
    || echo "clients.sh: direct $rt: could not start the container" >&2
done
for i in $(seq -1 "$N"); do
  for j in $(seq 0 $((k - 1))); do
    rt=${RTS[$(( (j + i + k) % k ))]}
    R="${RTPATH[$rt]} --root $T/direct-$rt"
    if [ "$i" -le 0 ]; then $R exec "$TAG-$rt" true >/dev/null 2>&1; continue; fi
    timed "direct|exec true|$rt" $R exec "$TAG-$rt" true
    timed "direct|exec --detach --process|$rt" $R exec --detach --pid-file "$T/direct-$rt.pid" --process "$T/direct-process.json" "$TAG-$rt"
  done
done
for rt in "${RTS[@]}"; do ${RTPATH[$rt]} --root "$T/direct-$rt" delete -f "$TAG-$rt" >/dev/null 2>&1; done
rmdir /sys/fs/cgroup/*/"$TAG-direct" 2>/dev/null

stats() { # samples -> "median p90 min n"
  tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {
    if (NR == 0) { print "- - - 0"; exit }
    m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
    r = int(0.9 * NR); if (r < 0.9 * NR) r++; if (r < 1) r = 1
    printf "%.1f %.1f %.1f %d\n", m, a[r], a[1], NR }'
}
echo
echo "| client | operation | runtime | n | median ms | p90 ms | min ms | failed |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for client in $CLIENTS direct; do
  ops=("run --rm true" "exec true"); [ "$client" = direct ] && ops=("exec true" "exec --detach --process")
  for op in "${ops[@]}"; do
    for rt in "${RTS[@]}"; do
      key="$client|$op|$rt"
      read -r med p90 min n <<<"$(stats "${SAMPLES[$key]:-}")"
      echo "| $client | $op | $rt | $n | $med | $p90 | $min | ${FAILS[$key]:-0} |"
    done
  done
done
