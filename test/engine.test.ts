import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { Engine, WasmMemoryError } from '../src/index.js';
import { detectFeatures } from '../src/engine/features.js';
import { VARIANTS } from '../src/engine/variants.js';

const wasmBytes = (name: keyof typeof VARIANTS) => readFileSync(VARIANTS[name].wasmUrl());

/** The memory import's limits flags: bit 0 = has maximum, bit 1 = shared (import section, id 2). */
function importedMemoryFlags(bytes: Uint8Array): number | undefined {
  let pos = 8;
  const leb = () => {
    let result = 0, shift = 0, byte: number;
    do {
      byte = bytes[pos++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  const name = () => {
    const len = leb();
    pos += len;
  };
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        name();
        name();
        const kind = bytes[pos++]!;
        if (kind === 2) return bytes[pos]!; // memory: limits flags
        if (kind === 0) leb(); // function: type index
        else if (kind === 1) { pos++; const f = leb(); leb(); if (f & 1) leb(); } // table
        else if (kind === 3) pos += 2; // global: type, mutability
        else throw new Error(`unexpected import kind ${kind}`);
      }
    }
    pos = end;
  }
  return undefined;
}

function disassemble(bytes: Uint8Array): string {
  const module = binaryen.readBinary(bytes);
  module.setFeatures(binaryen.Features.All);
  const text = module.emitText();
  module.dispose();
  return text;
}

describe('the committed builds in pkg/', () => {
  it('threaded builds import a shared memory; the single-thread build does not', () => {
    expect(importedMemoryFlags(wasmBytes('simd-threads'))! & 2).toBe(2);
    expect(importedMemoryFlags(wasmBytes('relaxed-threads'))! & 2).toBe(2);
    expect(importedMemoryFlags(wasmBytes('simd')) ?? 0).toBe(0);
  });

  it('contain SIMD instructions, and relaxed fused multiply-add only in the relaxed build', () => {
    const plain = disassemble(wasmBytes('simd-threads'));
    const relaxed = disassemble(wasmBytes('relaxed-threads'));
    expect(plain).toMatch(/f32x4\.mul/);
    expect(plain).toMatch(/i32\.atomic\./);
    expect(plain).not.toMatch(/f32x4\.relaxed/);
    expect(relaxed).toMatch(/f32x4\.relaxed_(madd|fma)/);
    expect(disassemble(wasmBytes('simd'))).not.toMatch(/(i32|i64|memory)\.atomic\./);
  });
});

describe('feature detection', () => {
  it('agrees with what this host can actually compile', async () => {
    const features = await detectFeatures();
    expect(features.simd).toBe(true);
    expect(features.relaxedSimd).toBe(WebAssembly.validate(wasmBytes('relaxed-threads')));
    expect(features.sharedMemory).toBe(true);
  });

  it('picks a build that compiles when relaxed SIMD is off (Node 20 without the flag)', () => {
    const script = `
      import { Engine } from ${JSON.stringify(new URL('../src/engine/engine.ts', import.meta.url).href)};
      import { readFileSync } from 'node:fs';
      const engine = await Engine.create({ threads: 1 });
      const compiles = WebAssembly.validate(readFileSync(${JSON.stringify(fileURLToPath(VARIANTS['relaxed-threads'].wasmUrl()))}));
      console.log(JSON.stringify({ variant: engine.variant.name, relaxedCompiles: compiles }));
      await engine.close();`;
    // A child process without vitest's --experimental-wasm-relaxed-simd.
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const { variant, relaxedCompiles } = JSON.parse(out.trim().split('\n').pop()!);
    expect(variant).toBe(relaxedCompiles ? 'relaxed-threads' : 'simd-threads');
  });
});

describe('Engine', () => {
  it('defaults to one thread per core and shuts the pool down cleanly', async () => {
    const features = await detectFeatures();
    const engine = await Engine.create();
    expect(engine.threads).toBe(features.cores);
    expect(await engine.close()).toBe(0);
    expect(() => engine.tensor([1])).toThrow('tensor: the engine was closed');
  });

  it('falls back to one thread with a warning when the build has no threads', async () => {
    const warnings: string[] = [];
    const engine = await Engine.create({ variant: 'simd', threads: 2, warn: (m) => warnings.push(m) });
    expect(engine.threads).toBe(1);
    expect(warnings).toEqual([expect.stringContaining("running on 1 thread instead of 2: the 'simd' build has no threads")]);
    await engine.close();
  });

  it('warns once when asked for more threads than the host has cores', async () => {
    const { cores } = await detectFeatures();
    const warnings: string[] = [];
    const engine = await Engine.create({ threads: cores + 1, warn: (m) => warnings.push(m) });
    expect(engine.threads).toBe(cores + 1);
    expect(warnings).toEqual([`${cores + 1} threads on ${cores} core${cores === 1 ? '' : 's'}: threads beyond the cores take turns ` +
      `and make every kernel slower; ${cores} thread${cores === 1 ? ' is' : 's are'} faster`]);
    await engine.close();
    const quiet: string[] = [];
    await (await Engine.create({ threads: cores, warn: (m) => quiet.push(m) })).close();
    expect(quiet).toEqual([]);
  });

  it('rejects a bad thread count', async () => {
    await expect(Engine.create({ threads: 0 })).rejects.toThrow('threads must be a positive integer, got 0');
  });

  it('leaves no process hanging when a program forgets to close it', () => {
    const script = `
      import { Engine } from ${JSON.stringify(new URL('../src/engine/engine.ts', import.meta.url).href)};
      const engine = await Engine.create({ threads: 2 });
      console.log('threads', engine.threads);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.trim()).toBe('threads 2');
  });
});

describe('running out of WebAssembly memory', () => {
  it('names the tensor, its size and the 2 GiB limit of one allocation, and takes the batch size and layer', async () => {
    const engine = await Engine.create({ threads: 1 });
    try {
      let error: unknown;
      try {
        engine.tensor([8192, 64, 32, 32]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WasmMemoryError);
      const oom = error as WasmMemoryError;
      expect(oom).toMatchObject({ op: 'tensor', shape: [8192, 64, 32, 32], bytes: 2 ** 31, layer: undefined, batchSize: undefined });
      expect(oom.message).toBe(
        'tensor: out of WebAssembly memory: a [8192, 64, 32, 32] tensor needs 2 GiB, more than the 2 GiB one allocation ' +
          'can take in a 32-bit WebAssembly memory (4 GiB in all, whatever the RAM of the host)',
      );
      const placed = oom.withContext({ layer: 'features.0', batchSize: 8192 });
      expect(placed).toMatchObject({ layer: 'features.0', batchSize: 8192, bytes: 2 ** 31 });
      expect(placed.message).toContain('out of WebAssembly memory in features.0: a [8192, 64, 32, 32] tensor');
      expect(placed.message).toMatch(/; batch size 8192 does not fit: try 4096, and halve again until it fits$/);
      expect(placed.withContext({ layer: 'features.3' }).layer).toBe('features.0'); // what is known stays
      // The engine is still usable: nothing was allocated.
      expect(engine.tensor([2], [1, 2]).toArray()).toEqual(new Float32Array([1, 2]));
    } finally {
      await engine.close();
    }
  });

  it('says how far the memory grew when tensors together fill the 4 GiB (a child process: it takes 4 GiB)', () => {
    const script = `
      import { Engine, WasmMemoryError } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      const engine = await Engine.create({ threads: 1 });
      const kept = [];
      try {
        for (;;) kept.push(engine.tensor([64, 1024, 1024]));
      } catch (error) {
        if (!(error instanceof WasmMemoryError)) throw error;
        console.log(JSON.stringify({ kept: kept.length, message: error.message, memoryBytes: error.memoryBytes, bytes: error.bytes }));
      }
      await engine.close();`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const { kept, message, memoryBytes, bytes } = JSON.parse(out.trim().split('\n').pop()!);
    expect(bytes).toBe(256 * 2 ** 20);
    expect(kept).toBeGreaterThanOrEqual(14); // 14 x 256 MiB = 3.5 GiB fitted
    expect(memoryBytes).toBeGreaterThanOrEqual(kept * bytes);
    expect(memoryBytes).toBeLessThanOrEqual(4 * 2 ** 30);
    expect(message).toMatch(
      /^tensor: out of WebAssembly memory allocating a \[64, 1024, 1024\] tensor \(256 MiB\): the engine's memory has grown to 3\.\d GiB of the 4 GiB a 32-bit WebAssembly memory can hold/,
    );
  });
});
