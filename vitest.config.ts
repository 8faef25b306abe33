import { defineConfig } from 'vitest/config';
import { wasmV8Flags } from './scripts/v8-flags.mjs';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Makes the large PyTorch fixtures (test/fixtures/generated/) where torch is installed.
    globalSetup: ['test/global-setup.ts'],
    // Node 20 compiles relaxed-SIMD modules only behind a V8 flag (on by default, and the flag
    // gone, from Node 22), so that every build in pkg/ is tested here on every Node line.
    execArgv: wasmV8Flags(),
    testTimeout: 60_000,
  },
});
