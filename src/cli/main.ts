#!/usr/bin/env node
/**
 * The `senet` command. Built only on the public API (src/index.ts).
 */
import { Engine } from '../index.js';

const HELP = `senet: SENet on the CPU with WebAssembly

Usage:
  senet info [--threads N]   show the WebAssembly build, SIMD features and threads this host runs
  senet --help               this help

Training (senet train) and evaluation come with the model and data pipeline.`;

async function info(args: string[]): Promise<void> {
  let threads: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--threads') {
      const value = Number(args[++i]);
      if (!Number.isInteger(value) || value < 1) throw new UsageError(`--threads needs a positive integer, got '${args[i] ?? ''}'`);
      threads = value;
    } else if (arg === '--help' || arg === '-h') {
      console.log('senet info [--threads N]: show the WebAssembly build, SIMD features and thread count');
      return;
    } else {
      throw new UsageError(`senet info: unknown argument '${arg}'`);
    }
  }
  const engine = await Engine.create({ threads });
  const { features } = engine;
  console.log(`build:         senet-${engine.variant.name}`);
  console.log(`SIMD:          ${features.simd ? 'yes' : 'no'}`);
  console.log(`relaxed SIMD:  ${features.relaxedSimd ? 'yes' : 'no'}`);
  console.log(`shared memory: ${features.sharedMemory ? 'yes' : 'no'}`);
  console.log(`threads:       ${engine.threads} (cores: ${features.cores})`);
  await engine.close();
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return 0;
  }
  if (command === 'info') {
    await info(rest);
    return 0;
  }
  throw new UsageError(`unknown command '${command}' (try senet --help)`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`senet: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
