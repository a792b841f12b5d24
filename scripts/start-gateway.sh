#!/bin/sh
# Starts the gateway: sh scripts/start-gateway.sh <entry> [arguments], where <entry> is
# dist/gateway/main.js (the container image) or gateway/main.ts (npm start, through tsx).
# Some of V8's settings exist only as Node.js start flags (HEAP_SEMI_SPACE_MB; README.md,
# Configuration). The gateway's own configuration decides them (gateway/node-flags), then this
# script becomes the gateway (exec): no second process stays behind, and signals reach the gateway.
set -eu
entry=${1:?usage: sh scripts/start-gateway.sh <dist/gateway/main.js | gateway/main.ts> [arguments]}
shift
case $entry in
  *.ts) loader='--import tsx' flags_entry="$(dirname "$entry")/node-flags.ts" ;;
  *) loader='' flags_entry="$(dirname "$entry")/node-flags.js" ;;
esac
# $loader and $flags are lists of flags: split on purpose.
flags=$(node $loader "$flags_entry")
exec node $flags $loader "$entry" "$@"
