#!/usr/bin/env bash
# Prints the directory holding a Node.js >= 24 binary, installing Node 24 from the
# npm registry's `node` package into .tools/ when the machine's own Node is older.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want=24
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -ge "$want" ]; then
  dirname "$(command -v node)"
  exit 0
fi
tools="$root/.tools"
bin="$tools/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" -lt "$want" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error "node@$want" >&2
fi
echo "$bin"
