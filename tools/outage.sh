#!/usr/bin/env bash
# An outage of one dependency in the middle of a batch, on the real farm: `flowreel up` on a fresh
# data folder, a batch of small jobs submitted through the API, the S3 server or the Kafka broker
# frozen with SIGSTOP for OUTAGE seconds once a job runs, then SIGCONT; waits for the batch to end
# and prints its counts as JSON. Not run by CI (minutes); figures go to docs/benchmarks.md.
#   tools/outage.sh s3|broker [OUTAGE_SECONDS] [JOBS]      (defaults 60 and 8)
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?which dependency: s3 or broker}"
outage="${2:-60}"
count="${3:-8}"
case "$target" in
  s3) pattern="s3proxy" ;;
  broker) pattern="kafka.Kafka" ;;
  *) echo "unknown dependency $target: s3 or broker" >&2; exit 2 ;;
esac
data="$(mktemp -d /tmp/flowreel-outage.XXXXXX)"
state="$data/state"
up_pid=""

cleanup() {
  [ -n "$up_pid" ] && kill -CONT $(pgrep -f "$pattern.*$data" || true) 2>/dev/null || true
  [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

mkdir -p "$state"
"$home/flowreel" >/dev/null 2>&1 --help || true # builds the command line if the sources changed
java -Dflowreel.home="$home" -Dflowreel.state="$state" "@$home/cli/target/java.args" io.flowreel.cli.FlowreelCli \
  up --port 0 --data "$data/up" >"$data/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 300); do grep -q "Flowreel is up" "$data/up.log" && break; sleep 1; done
gateway="$(grep -o 'gateway http://[^ ]*' "$data/up.log" | cut -d' ' -f2)"
[ -n "$gateway" ] || { cat "$data/up.log" >&2; exit 1; }
auth="Authorization: Bearer $(cat "$state/api-key")" # the local key flowreel up stores

jobs="$(python3 -c "import json; print(','.join(json.dumps({'prompt': f'a red ball {i}', 'seed': i}) for i in range(1, $count + 1)))")"
batch="$(curl -sf -H "$auth" -H 'Content-Type: application/json' \
  -d "{\"defaults\": {\"width\": 64, \"height\": 64, \"frames\": 5, \"steps\": 3}, \"jobs\": [$jobs]}" \
  "$gateway/v1/batches" | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch"]["id"])')"
status() { curl -sf -H "$auth" "$gateway/v1/batches/$batch" | python3 -c "import json,sys; b=json.load(sys.stdin); print(b.get('batch', b)$1)"; }

for _ in $(seq 600); do [ "$(status "['running']")" -gt 0 ] && break; sleep 0.2; done
frozen="$(pgrep -f "$pattern.*$data" | head -1)"
[ -n "$frozen" ] || { echo "no $target process found" >&2; exit 1; }
kill -STOP "$frozen"
frozen_at=$(date +%s)
echo "# $target $frozen frozen at $(date -u +%T) for $outage s; batch $batch: $(status "")" >&2
sleep "$outage"
kill -CONT "$frozen"
echo "# $target thawed at $(date -u +%T); batch: $(status "")" >&2
for _ in $(seq 600); do [ "$(status "['done']")" -ge "$count" ] && break; sleep 1; done
ended=$(date +%s)
python3 - "$(curl -sf -H "$auth" "$gateway/v1/batches/$batch")" "$outage" "$((ended - frozen_at))" "$target" <<'EOF'
import json, sys
b = json.loads(sys.argv[1]); b = b.get("batch", b)
print(json.dumps({"dependency": sys.argv[4], "outage_s": int(sys.argv[2]), "jobs": b["total"], "succeeded": b["succeeded"],
                  "failed": b["failed"], "cancelled": b["cancelled"], "done": b["done"],
                  "s_from_freeze_to_done": int(sys.argv[3])}))
EOF
grep -h "holding\|answers again\|lost the broker\|delivered\|FAILED" "$data"/up/logs/*.log | cut -c1-200 >&2 || true
