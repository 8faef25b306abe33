/** Text for progress output, shared by the CLI and the demo. */
import type { BatchReport, EpochReport } from './fit.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `epoch 1/10 [########------------] 196/391 loss 1.2345 acc 55.1% 82.3 img/s ETA 02:21` */
export function formatBatch(r: BatchReport, epochs: number, width = 20): string {
  const filled = Math.round((r.batch / r.batches) * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  return (
    `epoch ${r.epoch}/${epochs} [${bar}] ${r.batch}/${r.batches} loss ${r.loss.toFixed(4)} ` +
    `acc ${(100 * r.accuracy).toFixed(1)}% ${r.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(r.etaSeconds)}`
  );
}

/**
 * `epoch 1/10: train loss 1.4321 acc 48.2%, test loss 1.2100 acc 56.3%, 612 s, 81.7 img/s, 612.0 s of training`,
 * with `(TTA 57.10%)` after the test accuracy when the evaluation had flip TTA. The last figure is
 * the run's training time so far (set-up included, evaluations not).
 */
export function formatEpoch(r: EpochReport, epochs: number): string {
  const tta = r.test?.tta ? ` (TTA ${(100 * r.test.tta.accuracy).toFixed(2)}%)` : '';
  const test = r.test ? `, test loss ${r.test.loss.toFixed(4)} acc ${(100 * r.test.accuracy).toFixed(2)}%${tta}` : '';
  return (
    `epoch ${r.epoch}/${epochs}: train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}%${test}, ` +
    `${r.seconds.toFixed(0)} s, ${r.imagesPerSecond.toFixed(1)} img/s, ${r.elapsedSeconds.toFixed(1)} s of training`
  );
}

/** `downloading cifar-10-binary.tar.gz 45.2% (76.9 / 170.1 MB)` */
export function formatDownload(name: string, received: number, total: number): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return `downloading ${name} ${total > 0 ? ((100 * received) / total).toFixed(1) : '?'}% (${mb(received)} / ${mb(total)} MB)`;
}

/** `decoding images [########------------] 1200/3000` */
export function formatDecoding(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `decoding images [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}
