#!/usr/bin/env bash
# Runs the benchmarks behind docs/benchmarks.md and prints one JSON line per measurement.
#   tools/bench.sh [stages|dit|memory|bus|pipeline|all]
# The PyTorch half of "dit" needs Debian's python3-torch (see tools/README.md); it is skipped without it.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
what="${1:-all}"
pack="$home/models/tiny"

mvn -q -B -DskipTests install -pl bench -am >&2
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
