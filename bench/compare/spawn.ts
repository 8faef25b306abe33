/**
 * Running a benchmark child (protocol.ts) from bench/compare.ts and bench/ab.ts: each child is a
 * process of its own, so that its peak resident set size is its own and nothing of one run is
 * warm in the next.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { wasmV8Flags } from '../../scripts/v8-flags.mjs';
import { MARKER, type ChildResult } from './protocol.js';

/** The repository the children are started in (their paths are relative to it). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The command of the senet-wasm child (senet-wasm.ts) with these arguments. */
export function senetWasmCommand(args: string[]): [string, string[]] {
  // Node 20 compiles the relaxed-SIMD build only behind a V8 flag (later versions by default, and refuse the flag).
  return [process.execPath, [...wasmV8Flags(), '--import', 'tsx', 'bench/compare/senet-wasm.ts', ...args]];
}

export interface ChildOutcome {
  result?: ChildResult;
  /** The child failed: its exit code and last line of stderr. */
  error?: string;
  /** Wall-clock seconds of the process. */
  seconds: number;
}

export const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/** Runs one child in ROOT, passing its progress (stderr) through, and returns its result line or why there is none. */
export async function runChild(file: string, args: string[]): Promise<ChildOutcome> {
  const began = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let [out, err] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      err = (err + text).slice(-4000);
      // TF.js greets Node users with an advert for tfjs-node: not progress.
      const shown = text.split('\n').filter((l) => !/tfjs-node|^=+$/.test(l.trim())).join('\n');
      if (shown.trim() !== '') process.stderr.write(shown.endsWith('\n') ? shown : `${shown}\n`);
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
  const seconds = (performance.now() - began) / 1000;
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (code !== 0 || line === undefined) return { error: `exit ${code}: ${lastLine(stderr) || 'no result line'}`, seconds };
  return { result: JSON.parse(line.slice(MARKER.length)) as ChildResult, seconds };
}
