#!/usr/bin/env bash
# Runs the benchmarks behind docs/benchmarks.md and prints one JSON line per measurement.
#   tools/bench.sh [stages|dit|memory|bus|pipeline|all]
#   tools/bench.sh load [JOBS] [HOLD] [LoadBench options...]   (not part of "all"; defaults 100000 and 5s)
#   tools/bench.sh fold [FoldBench options...]   (not part of "all"; the tracker's fold alone, see FoldBench)
#   tools/bench.sh marker-stall [RECORDS] [SLICE_MS...]   (not part of "all"; see ShareMarkerStall)
# The PyTorch half of "dit" needs Debian's python3-torch (see tools/README.md); it is skipped without it.
# MAVEN_ARGS is added to the build's mvn command (e.g. MAVEN_ARGS="-o -Dmaven.repo.local=/some/repo").
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
what="${1:-all}"
pack="$home/models/tiny"

modules=bench
[[ $what == load ]] && modules=bench,cli # the farm: every service's fast-jar and the command line
# shellcheck disable=SC2086
mvn ${MAVEN_ARGS:-} -q -B -DskipTests install -pl "$modules" -am >&2
# An argument file keeps the command line short: ONNX Runtime crashes on long ones (docs/onnxruntime.md).
printf -- '-cp %s:%s\n' bench/target/flowreel-bench-0.1.0-SNAPSHOT.jar "$(cat bench/target/classpath.txt)" > bench/target/java.args
run() { java -Xmx8g @bench/target/java.args "$@"; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2

if [[ $what == stages || $what == all ]]; then
  run io.flowreel.bench.StageTimes "$pack" 256x256x17 384x384x33 --runs 5
fi

if [[ $what == dit || $what == all ]]; then
  for threads in 1 2; do
    run io.flowreel.bench.DitStep "$pack" "$threads" 20
    if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
      /usr/bin/python3 tools/bench_dit_torch.py --threads "$threads" --runs 10
    else
      echo '{"engine": "pytorch", "skipped": "no python3-torch"}'
    fi
  done
fi

if [[ $what == memory || $what == all ]]; then
  # Growing videos, each decode in a fresh JVM: untiled, then fixed tiles (16 latent px, overlap 8
  # , chunks of 4 latent frames).
  for size in "5 16 16" "9 24 24" "16 32 32"; do
    run io.flowreel.bench.DecodeMemory "$pack" $size untiled
    run io.flowreel.bench.DecodeMemory "$pack" $size tiled 16 8 4
  done
fi

if [[ $what == pipeline || $what == all ]]; then
  # 200 jobs on simulated compute, holds as in issue 19 item 3, four denoisers and two decoders.
  run io.flowreel.bench.PipelineEfficiency 200 rewrite=10:1 encode=20:1 denoise=400:4 decode=120:2 upsample=80:1 \
    publish=40:1
fi

if [[ $what == bus || $what == all ]]; then
  # Stage-to-stage hops through Kafka and S3 with no compute: a latent-sized and a frames-sized artifact.
  run -Dflowreel.home="$home" io.flowreel.bench.BusHop 40 262144
  run -Dflowreel.home="$home" io.flowreel.bench.BusHop 40 4194304
  # Eight tiny-pack jobs through the bus (in-process workers, real broker and S3) vs the local renderer.
  run -Dflowreel.home="$home" io.flowreel.bench.BusMakespan "$pack" 8 256x256x17
fi

if [[ $what == fold ]]; then
  # Issue 19 item 1, the tracker's fold alone: a synthetic stream of 100,000 jobs through TopologyTestDriver
  # (--mode driver, the default here) or a Kafka Streams app on an embedded broker (--mode streams).
  shift
  run -Dflowreel.home="$home" io.flowreel.bench.FoldBench --mode driver "$@"
fi

if [[ $what == marker-stall ]]; then
  # What a transaction's commit marker costs a share consumer set up as a stage worker (Kafka 4.4.0): rerun it
  # after a Kafka upgrade before changing StageWorker's poll slice.
  shift
  run -Dflowreel.home="$home" io.flowreel.bench.ShareMarkerStall "$@"
fi

if [[ $what == load ]]; then
  # Issue 19 item 1: the real farm (`flowreel up`: broker, S3 server, every service its own process) with
  # simulated compute held HOLD a task, so submitted jobs stay queued; LoadBench submits JOBS jobs through the
  # gateway in batches of 1,000 and measures (bench/src/main/java/io/flowreel/bench/LoadBench.java). The farm
  # is stopped (SIGTERM, then SIGKILL of whatever is left) when this ends, however it ends.
  shift
  jobs="${1:-100000}"
  hold="${2:-5s}"
  shift $(( $# < 2 ? $# : 2 ))
  printf -- '-cp %s:%s\n' cli/target/flowreel-cli-0.1.0-SNAPSHOT.jar "$(cat cli/target/classpath.txt)" > cli/target/java.args
  touch cli/target/.built # what ./flowreel checks: the build above is current
  data="$(mktemp -d /tmp/flowreel-load.XXXXXX)"
  mkdir -p "$data/state"
  up_pid=""
  stop_farm() {
    if [ -n "$up_pid" ] && kill -0 "$up_pid" 2>/dev/null; then
      local children
      children="$(pgrep -P "$up_pid" || true)"
      kill -TERM "$up_pid" 2>/dev/null || true
      for _ in $(seq 60); do kill -0 "$up_pid" 2>/dev/null || break; sleep 1; done
      kill -KILL "$up_pid" $children 2>/dev/null || true
      wait "$up_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
  }
  trap stop_farm EXIT
  trap 'exit 130' INT TERM
  FLOWREEL_SIMULATED_COMPUTE_HOLD="$hold" java -Dflowreel.home="$home" -Dflowreel.state="$data/state" \
    @cli/target/java.args io.flowreel.cli.FlowreelCli up --port 0 --data "$data/up" >"$data/up.log" 2>&1 &
  up_pid=$!
  for _ in $(seq 300); do grep -q "Flowreel is up" "$data/up.log" && break; kill -0 "$up_pid" || break; sleep 1; done
  grep -q "Flowreel is up" "$data/up.log" || { cat "$data/up.log" >&2; exit 1; }
  gateway="$(grep -o 'gateway http://[^ ]*' "$data/up.log" | cut -d' ' -f2)"
  kafka="$(grep -o 'Kafka [0-9.]*:[0-9]*' "$data/up.log" | head -1 | cut -d' ' -f2)"
  echo "# farm up (pid $up_pid): gateway $gateway, Kafka $kafka, hold $hold; $(grep -o 'up in [0-9.]* s' "$data/up.log")" >&2
  status=0
  FLOWREEL_API_KEY="$(cat "$data/state/api-key")" timeout 60m java -Xmx2g @bench/target/java.args \
    io.flowreel.bench.LoadBench "$gateway" "$kafka" "$up_pid" \
    --jobs "$jobs" "$@" || status=$?
  grep -h " ERROR \|restarted" "$data"/up/logs/*.log "$data/up.log" 2>/dev/null | cut -c1-300 | tail -20 >&2 || true
  exit "$status"
fi
