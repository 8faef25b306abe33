import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Makes the large PyTorch fixtures (test/fixtures/generated/) where torch is installed.
    globalSetup: ['test/global-setup.ts'],
    // Node 20 compiles relaxed-SIMD modules only behind this flag (on by default from Node 22),
    // so that every build in pkg/ is tested here.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 60_000,
  },
});
