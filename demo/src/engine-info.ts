/** What the engine runs with: its build, SIMD, relaxed SIMD, threads, and why it fell back. */
import type { TrainerInfo } from 'senet-wasm';

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function renderEngineInfo(list: HTMLElement, notice: HTMLElement, info: TrainerInfo): void {
  const fields: Record<string, string> = {
    variant: info.variant,
    simd: yesNo(info.features.simd),
    relaxedSimd: yesNo(info.features.relaxedSimd),
    sharedMemory: yesNo(info.features.sharedMemory),
    isolated: yesNo(globalThis.crossOriginIsolated === true),
    threads: `${info.threads} thread${info.threads === 1 ? '' : 's'} (${info.features.cores} cores)`,
    model: info.model,
    parameters: info.parameters.toLocaleString('en'),
  };
  for (const [name, text] of Object.entries(fields)) {
    const field = list.querySelector<HTMLElement>(`[data-field="${name}"]`);
    if (field) field.textContent = text;
  }
  list.dataset.threads = String(info.threads);
  list.dataset.variant = info.variant;

  // The engine's warnings say why it runs on fewer threads than asked (e.g. no shared memory).
  const lines = [...info.warnings];
  if (globalThis.crossOriginIsolated !== true && !lines.some((line) => line.includes('Cross-Origin-Opener-Policy'))) {
    lines.push('this page is not cross-origin isolated, so its workers cannot share WebAssembly memory (serve it with ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as npm run demo does)');
  }
  notice.hidden = lines.length === 0;
  notice.textContent = lines.map((line) => `Note: ${line}.`).join(' ');
}
