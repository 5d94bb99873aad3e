#!/usr/bin/env bash
# The embedded default end to end: time from the command to the first finished clip, the whole
# command, and the peak resident memory of the CLI and every process it started (broker, S3 server,
# eight services), summed and sampled every 0.5 s. One JSON line per run.
#   tools/bench_embedded.sh [WARM_RUNS]     (default 3; run 1 is "cold", see below)
#   tools/bench_embedded.sh WARM_RUNS TREE...
#                                           warm runs only, alternating between checkouts (built
#                                           first), to compare them under the same conditions
# Cold: the first run after the build, with the broker's and S3 server's class-data archives removed
# (they are recorded again by that run) and the page cache dropped where this user may.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
warm="${1:-3}"
shift || true
trees=("$@")
prompt="a red ball bouncing on a blue floor"

for tree in "${trees[@]:-$home}"; do
  (cd "$tree" && mvn -q -B -DskipTests install -pl cli -am) >&2
  mkdir -p "$tree/cli/target" && touch "$tree/cli/target/.built"
done
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB" >&2

tree_rss_kib() { # RSS of $1 and all its descendants, in KiB
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      total = 0
      for (p in rss) { q = p; while (q != "" && q != 0) { if (q == root) { total += rss[p]; break } q = parent[q] } }
      print total
    }'
}

run_once() { # KIND [TREE]
  local kind="$1" tree="${2:-$home}" out log start first="" peak=0 now rss pid
  out="$(mktemp -d)"; log="$out/log"
  start=$(date +%s.%N)
  "$tree/flowreel" render --prompt "$prompt" --out "$out/clips" > "$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(tree_rss_kib "$pid"); (( rss > peak )) && peak=$rss
    if [[ -z $first ]] && grep -q "done in" "$log"; then first=$(date +%s.%N); fi
    sleep 0.5
  done
  wait "$pid" || { echo "render failed:" >&2; cat "$log" >&2; exit 1; }
  now=$(date +%s.%N)
  [[ -n $first ]] || first=$now
  printf '{"run": "%s", "stackUpS": %s, "firstClipS": %.1f, "commandS": %.1f, "peakRssMiB": %d}\n' "$kind" \
    "$(grep -o 'stack up in [0-9.]*' "$log" | grep -o '[0-9.]*$')" "$(echo "$first - $start" | bc)" \
    "$(echo "$now - $start" | bc)" $((peak / 1024))
  rm -rf "$out"
}

if (( ${#trees[@]} > 0 )); then
  for i in $(seq 1 "$warm"); do
    for tree in "${trees[@]}"; do run_once "warm $tree" "$tree"; done
  done
  exit 0
fi

rm -f infra/*/target/*.jsa
sync
(echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null || echo "# page cache not dropped (not permitted here)" >&2
run_once cold
for i in $(seq 1 "$warm"); do run_once warm; done
