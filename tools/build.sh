#!/usr/bin/env bash
# Compiles the TypeScript to plain JavaScript in dist/ (same layout as the repo) and copies
# the runtime assets the code finds relative to its own file: the .proto files, the resource
# board's static files, the bundled trace data and the simulator's worker script.
# `node dist/cli/main.js …` then runs the daemons as one node process, without tsx.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
mkdir -p dist/scheduler-extender dist/bench
cp -r proto dist/proto
cp -r scheduler-extender/ui dist/scheduler-extender/ui
rm -f dist/scheduler-extender/ui/*.ts
cp -r bench/data dist/bench/data
find bench -name '*.mjs' -not -path '*/node_modules/*' | while read -r f; do mkdir -p "dist/$(dirname "$f")"; cp "$f" "dist/$f"; done
echo "built dist/ ($(du -sh dist | cut -f1))"
