#!/usr/bin/env bash
# Installs what rebuilding pkg/ from crate/ needs, skipping what is already there:
#   - Debian's Rust (rustc 1.96 with the wasm32 target's sources, for -Z build-std) and lld.
#     rustup's toolchains here have no wasm32 target and cannot download one.
#   - wasm-bindgen-cli at exactly the crate's wasm-bindgen version, from crates.io.
# wasm-opt comes from npm's binaryen (a dev dependency): npm ci installs it.
# Users of the package need none of this: pkg/ is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-toolchain: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$root/crate/Cargo.toml")
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  echo "install-toolchain: cargo install wasm-bindgen-cli $version"
  cargo_bin=$(command -v cargo || echo /usr/bin/cargo)
  "$cargo_bin" install --quiet --locked wasm-bindgen-cli --version "$version"
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
wasm-bindgen --version
/usr/bin/rustc --version
