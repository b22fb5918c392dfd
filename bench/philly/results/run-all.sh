#!/usr/bin/env bash
# Regenerates the JSON reports in this folder (scenario C, see bench/RESULTS.md). ~5 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../../.."
run() { local name=$1; shift; npx tsx cli/main.ts simulate quota --drop-unknown-vcs --json "$@" > "bench/philly/results/$name.json"; }
run fixed-k1 --mode fixed
run elastic-k1 --mode elastic
run elastic-k1-priority --mode elastic --priority
run elastic-k4 --mode elastic --arrival-scale 4
run elastic-k8 --mode elastic --arrival-scale 8
run elastic-k8-priority --mode elastic --arrival-scale 8 --priority
run elastic-k8-lose --mode elastic --arrival-scale 8 --restart lose
