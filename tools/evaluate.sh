#!/usr/bin/env bash
# Renders the evaluation prompts with ./flowreel render --local, measures what each clip shows (colour,
# shape, motion, background) and scores it against the prompt; prints the scores and writes
# OUT/report.json and OUT/report.md. Arguments go to the evaluator, e.g.
#   tools/evaluate.sh                       # tools/quality_prompts.jsonl, out target/quality
#   tools/evaluate.sh --limit 10 --out target/q10
#   tools/evaluate.sh --skip-render         # measure the clips already in OUT/clips again
# The quality module is built first when its sources (or libs/media's) are newer than the build.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
jar="$home/quality/target/flowreel-quality-0.1.0-SNAPSHOT.jar"
classpath="$home/quality/target/classpath.txt"
# Touched after each successful build: the jars themselves are not rewritten when nothing in them changed.
stamp="$home/quality/target/.built"

stale() {
  [ -f "$jar" ] && [ -f "$classpath" ] && [ -f "$stamp" ] || return 0
  [ -n "$(find "$home/pom.xml" "$home/libs/media" "$home/quality" \
      \( -name '*.java' -o -name pom.xml \) -newer "$stamp" -not -path '*/target/*' -print -quit)" ]
}

if stale; then
  echo "evaluate: building the quality module..." >&2
  # Offline first (the dependencies are usually in ~/.m2 already), online if something is missing.
  mvn -q -B -o -DskipTests install -pl quality -am >&2 || mvn -q -B -DskipTests install -pl quality -am >&2
  touch "$stamp"
fi

# An argument file, as ./flowreel does, keeps the java command line short.
args="$home/quality/target/java.args"
printf -- '-cp %s:%s\n' "$jar" "$(cat "$classpath")" > "$args"
exec java "@$args" io.flowreel.quality.QualityEvaluator "$@"
