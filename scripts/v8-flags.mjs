/**
 * The V8 flags that this repository's own Node processes (the test workers, the benchmarks and
 * their child processes) start with, so that every build in pkg/ compiles on the Node running
 * them.
 *
 * Node 20's V8 compiles relaxed SIMD (the 'relaxed-threads' build) only behind
 * --experimental-wasm-relaxed-simd. From Node 22 relaxed SIMD is on by default and V8 no longer
 * knows the flag, and Node refuses to start with it ("node: bad option"). So the flag is passed
 * only to a Node whose V8 lists it in `node --v8-options`. (process.allowedNodeEnvironmentFlags
 * cannot tell: it lists only the V8 flags allowed in NODE_OPTIONS, and this is not one.)
 *
 * The library and the `senet` command need none of this: they pick the build the host compiles,
 * and the command turns the flag on in-process where the V8 has it (src/cli/main.ts).
 */
import { execFileSync } from 'node:child_process';

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** @type {Map<string, string[]>} */
const known = new Map();

/**
 * The flags to start `execPath` (default: this Node) with: `['--experimental-wasm-relaxed-simd']`
 * where its V8 knows the flag (Node 20), `[]` where relaxed SIMD needs no flag (Node 22 and later).
 * Asks the binary once per process (`node --v8-options`, a few tens of milliseconds).
 * @param {string} [execPath]
 * @returns {string[]}
 */
export function wasmV8Flags(execPath = process.execPath) {
  let flags = known.get(execPath);
  if (flags === undefined) {
    const options = execFileSync(execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    flags = v8Knows(options, RELAXED_SIMD_FLAG) ? [RELAXED_SIMD_FLAG] : [];
    known.set(execPath, flags);
  }
  return [...flags];
}

/**
 * Whether `node --v8-options` output lists `flag` (as `  --flag (description)`).
 * @param {string} v8Options
 * @param {string} flag
 */
export function v8Knows(v8Options, flag) {
  return v8Options.split('\n').some((line) => line.trimStart().split(/\s/, 1)[0] === flag);
}
