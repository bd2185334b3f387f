#!/bin/sh
# Regenerates the TypeScript for proto/*.proto into proto/gen/ (npm run proto:gen).
# Usage: proto/generate.sh [output-base]   (writes <output-base>/gen; default: proto/)
# Uses only the npm-installed buf and ts-proto, so it needs no network.
set -eu
cd "$(dirname "$0")"
out="${1:-.}"
../node_modules/.bin/buf lint
rm -rf "$out/gen"
exec ../node_modules/.bin/buf generate --output "$out"
