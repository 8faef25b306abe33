import { Engine } from '../engine/engine.js';
import { positiveInt } from './usage.js';

export const INFO_HELP = `senet info [--threads N]: the WebAssembly build, SIMD features and threads this host runs`;
export const INFO_OPTIONS = { threads: { type: 'string' } } as const;

export async function runInfo(values: Record<string, unknown>): Promise<void> {
  const threads = values.threads === undefined ? undefined : positiveInt('threads', values.threads);
  const engine = await Engine.create({ threads });
  const { features } = engine;
  console.log(`build:         senet-${engine.variant.name}`);
  console.log(`SIMD:          ${features.simd ? 'yes' : 'no'}`);
  console.log(`relaxed SIMD:  ${features.relaxedSimd ? 'yes' : 'no'}`);
  console.log(`shared memory: ${features.sharedMemory ? 'yes' : 'no'}`);
  console.log(`threads:       ${engine.threads} (cores: ${features.cores})`);
  await engine.close();
}
