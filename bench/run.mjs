#!/usr/bin/env node
/**
 * Runs a TypeScript benchmark under tsx with the V8 flags this Node needs for every build in pkg/
 * (scripts/v8-flags.mjs): what the package.json bench:* scripts call.
 *
 *   node bench/run.mjs bench/gemm.ts [arguments...]
 */
import { spawnSync } from 'node:child_process';
import { wasmV8Flags } from '../scripts/v8-flags.mjs';

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  console.error('usage: node bench/run.mjs <benchmark.ts> [arguments...]');
  process.exit(2);
}
const child = spawnSync(process.execPath, [...wasmV8Flags(), '--import', 'tsx', script, ...args], { stdio: 'inherit' });
if (child.error) throw child.error;
// Ctrl-C reaches both processes; end this one the way the benchmark ended.
if (child.signal) process.kill(process.pid, child.signal);
process.exitCode = child.status ?? 1;
