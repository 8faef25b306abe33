/**
 * The smallest Vite set-up for senet-wasm. The engine shares WebAssembly memory between Web
 * Workers, which a browser allows only on a cross-origin isolated page: hence the two headers.
 * The trainer's worker starts workers of its own and loads the builds with dynamic import(),
 * which needs workers bundled as ES modules.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // An installed package needs no alias: here the package is this repository (npm run build).
  resolve: { alias: { 'senet-wasm': fileURLToPath(new URL('../../dist/index.js', import.meta.url)) } },
  worker: { format: 'es' },
  server: { headers: isolation, fs: { allow: ['../..'] } },
  preview: { headers: isolation },
  build: { target: 'es2022' },
});
