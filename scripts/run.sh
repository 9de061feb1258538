#!/usr/bin/env bash
# Runs a command with Node 24 on PATH and the workspace's npm dependencies installed.
#   bash scripts/run.sh demo [flags]   -> npm run demo -- [flags]
#   bash scripts/run.sh npm test       -> any command
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PATH="$(bash scripts/ensure-node.sh):$PATH"
export PATH
# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = demo ]; then
  shift
  exec npm run --silent demo -- "$@"
fi
exec "$@"
