#!/bin/sh
# Regenerates the TypeScript for proto/*.proto into proto/gen/ (npm run proto:gen).
# Usage: proto/generate.sh [output-base]   (writes <output-base>/gen; default: proto/)
# Uses Debian's protoc (package protobuf-compiler) and the npm-installed ts-proto plugin: no network.
# (The npm @bufbuild/buf package was dropped: its per-platform binaries cannot all be recorded in the
# lock file from this registry, which breaks `npm ci`.)
set -eu
cd "$(dirname "$0")"
out="${1:-.}"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
rm -rf "$out/gen"
mkdir -p "$out/gen"
exec protoc \
  --plugin=protoc-gen-ts_proto=../node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out/gen" \
  --ts_proto_opt=esModuleInterop=true,env=node,importSuffix=.js,outputServices=grpc-js \
  -I . ./*.proto
