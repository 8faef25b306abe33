import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Node 20 compiles relaxed-SIMD modules only behind this flag (on by default from Node 22),
    // so that every build in pkg/ is tested here.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 60_000,
  },
});
