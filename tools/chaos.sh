#!/usr/bin/env bash
# Issue 18's chaos run at full size: it/ChaosIT (the CI run does 100 jobs) with JOBS small jobs
# submitted through the gateway in BATCHES keyed batches, on a farm of simulated-compute stages
# (each task held HOLD) or, with HOLD "real", rendering with the tiny pack on CPU; meanwhile one
# service process is killed with -9 every 10 s (every kind in turn), the broker is restarted once
# and S3 is frozen for 60 s. Prints the report (also it/target/chaos-report.json): submitted,
# succeeded, failed, published more than once, lost. Not run by CI; figures go to docs/benchmarks.md.
#   tools/chaos.sh [JOBS] [BATCHES] [HOLD] [MINUTES]     (defaults 1000 10 250ms 40)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${1:-1000}"
batches="${2:-10}"
hold="${3:-250ms}"
minutes="${4:-40}"
mvn -B -ntp -q install -DskipTests
status=0
mvn -B -ntp -pl it verify -Dit.test=ChaosIT -Dtest=NoUnitTests -Dsurefire.failIfNoSpecifiedTests=false \
  -Dflowreel.chaos.jobs="$jobs" -Dflowreel.chaos.batches="$batches" -Dflowreel.chaos.hold="$hold" \
  -Dflowreel.chaos.minutes="$minutes" >it/target/chaos.log 2>&1 || status=$?
grep -h "^chaos" it/target/failsafe-reports/io.flowreel.it.ChaosIT-output.txt | cut -c1-2000 >&2 || true
cat it/target/chaos-report.json
[ "$status" -eq 0 ] || { grep -A20 "FAILURE\|AssertionError" it/target/chaos.log | head -40 >&2; exit "$status"; }
