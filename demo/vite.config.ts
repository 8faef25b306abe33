/**
 * The demo page. The engine shares WebAssembly memory between Web Workers, which a browser
 * allows only on a cross-origin isolated page, so both servers send COOP and COEP. The
 * trainer's worker starts workers of its own (the kernels' thread pool, the batch maker) and
 * loads the WebAssembly builds with dynamic import(): workers are bundled as ES modules.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));

export const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the built page works from any folder of a static server.
  base: './',
  // The package as built by `npm run build` (an app that installs senet-wasm needs no alias).
  resolve: { alias: { 'senet-wasm': `${repo}dist/index.js` } },
  worker: { format: 'es' },
  // The dev server serves dist/ and pkg/ from outside demo/.
  server: { headers: isolation, fs: { allow: [repo] } },
  preview: { headers: isolation },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
