// A module Web Worker that starts the engine from the built package (dist/) and reports what
// ran: the browser test loads it from pages with and without cross-origin isolation.
// The engine's own modules: the package index also loads the Comlink worker API, whose bare
// import ('comlink/...') a page resolves only through a bundler (see test/demo.test.ts).
import { Engine } from '../../dist/engine/engine.js';
import { matmul } from '../../dist/engine/ops/gemm.js';

const warnings = [];
try {
  const engine = await Engine.create({ threads: 2, warn: (m) => warnings.push(m) });
  const [m, n, k] = [67, 45, 129];
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 53) % 97) / 97 - 0.5);
  const got = matmul(engine, engine.tensor([m, k], a), engine.tensor([k, n], b)).toArray();
  let maxError = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let want = 0;
      for (let p = 0; p < k; p++) want += a[i * k + p] * b[p * n + j];
      maxError = Math.max(maxError, Math.abs(got[i * n + j] - want));
    }
  }
  const report = {
    variant: engine.variant.name,
    threads: engine.threads,
    features: engine.features,
    crossOriginIsolated: self.crossOriginIsolated,
    maxError,
    terminated: await engine.close(),
    warnings,
  };
  postMessage({ ok: true, report });
} catch (error) {
  postMessage({ ok: false, error: String(error && error.stack || error), warnings });
}
