#!/usr/bin/env bash
# Builds crate/ into pkg/: three WebAssembly variants of the kernels, each with its wasm-bindgen
# glue (--target web, so Node and browsers load the same files):
#   senet-relaxed-threads  SIMD + relaxed SIMD (fused multiply-add), shared memory, threads
#   senet-simd-threads     SIMD, shared memory, threads
#   senet-simd             SIMD, one thread (for pages that are not cross-origin isolated,
#                          where shared memory is unavailable)
# src/engine/loader.ts picks one at run time by feature detection.
#
# Needs Debian's Rust (rustc-web, cargo-web, rust-web-src, lld), wasm-bindgen-cli of the crate's
# exact wasm-bindgen version, and npm's binaryen (a dev dependency) for wasm-opt;
# scripts/install-toolchain.sh installs them. The output is byte-for-byte reproducible: paths
# are remapped and nothing machine-specific is embedded, and .ci/run checks it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
crate="$root/crate"
out="$root/pkg"
cargo=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1 # for -Z build-std: std must be rebuilt with atomics for threads
export CARGO_INCREMENTAL=0
export SOURCE_DATE_EPOCH=0

wasm_bindgen_version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$crate/Cargo.toml")
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
  echo "build-wasm: need wasm-bindgen-cli $wasm_bindgen_version on PATH (have: $(wasm-bindgen --version 2>/dev/null || echo none));" >&2
  echo "  run scripts/install-toolchain.sh" >&2
  exit 1
fi
[ -x "$cargo" ] || { echo "build-wasm: $cargo missing; run scripts/install-toolchain.sh" >&2; exit 1; }
wasm_opt="$root/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "build-wasm: $wasm_opt missing; run npm ci" >&2; exit 1; }

cargo_home=${CARGO_HOME:-$HOME/.cargo}
sysroot=$("$RUSTC" --print sysroot)
remap="--remap-path-prefix=$crate=/senet-wasm/crate --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$sysroot/lib/rustlib/src/rust=/rust"
threads_link="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
threads_link="$threads_link -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size"
threads_link="$threads_link -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

build_variant() {
  local name=$1 features=$2 link=$3 opt_features=$4
  echo "build-wasm: $name ($features)"
  RUSTFLAGS="-C target-feature=$features $link $remap" \
    "$cargo" build --quiet --release --manifest-path "$crate/Cargo.toml" \
      --target wasm32-unknown-unknown -Z build-std=std,panic_abort \
      --target-dir "$crate/target/wasm-$name"
  local built="$crate/target/wasm-$name/wasm32-unknown-unknown/release/senet_kernels.wasm"
  wasm-bindgen --target web --out-dir "$out" --out-name "$name" "$built"
  "$wasm_opt" -O3 $opt_features "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
}

mkdir -p "$out"
rm -f "$out"/senet-*
base_opt="--enable-simd --enable-bulk-memory --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
build_variant senet-relaxed-threads +simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals "$threads_link" "$base_opt --enable-threads --enable-relaxed-simd"
build_variant senet-simd-threads +simd128,+atomics,+bulk-memory,+mutable-globals "$threads_link" "$base_opt --enable-threads"
build_variant senet-simd +simd128 "" "$base_opt"
ls -l "$out"
