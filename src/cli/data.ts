/** Where the CLI's data comes from: a CIFAR-10 folder or archive, a download, or the synthetic set. */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ensureCifar10 } from '../data/download.js';
import { formatDownload } from '../train/progress.js';
import type { DataSource } from '../worker/trainer.js';

export const DEFAULT_DATA_DIR = 'data';

/**
 * The trainer's data source for `--data` (undefined: ./data, downloading the official archive
 * there if it is absent). `limit` keeps the first N training and N test records.
 */
export async function dataSource(data: string | undefined, limit: number | undefined): Promise<DataSource> {
  const limited = limit === undefined ? {} : { limit };
  if (data === 'synthetic') {
    return { kind: 'synthetic', train: limit ?? 5000, test: Math.min(limit ?? 1000, 1000), ...limited };
  }
  let path = data;
  if (path === undefined) {
    const folder = join(DEFAULT_DATA_DIR, 'cifar-10-batches-bin');
    path = existsSync(folder)
      ? folder
      : await ensureCifar10(DEFAULT_DATA_DIR, {
          onProgress: (received, total) => process.stderr.write(`\r${formatDownload('cifar-10-binary.tar.gz', received, total)}`),
        });
    process.stderr.write('\n');
  }
  return { kind: 'path', path, ...limited };
}
