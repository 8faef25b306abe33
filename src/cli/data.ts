/** Where the CLI's data comes from: a CIFAR-10 folder or archive, a download, or the synthetic set. */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadCifar10 } from '../data/cifar10.js';
import { ensureCifar10 } from '../data/download.js';
import type { LabeledImages } from '../data/loader.js';
import { syntheticImages } from '../data/synthetic.js';
import { formatDownload } from '../train/progress.js';

export const DEFAULT_DATA_DIR = 'data';

/** Train and test sets for `--data` (undefined: ./data, downloading the archive if needed). */
export async function loadData(data: string | undefined, limit: number | undefined): Promise<{ train: LabeledImages; test: LabeledImages; source: string }> {
  if (data === 'synthetic') {
    const [train, test] = [syntheticImages(limit ?? 5000, 1), syntheticImages(Math.min(limit ?? 1000, 1000), 2)];
    return { train, test, source: 'synthetic' };
  }
  let location = data;
  if (location === undefined) {
    const folder = join(DEFAULT_DATA_DIR, 'cifar-10-batches-bin');
    location = existsSync(folder)
      ? folder
      : await ensureCifar10(DEFAULT_DATA_DIR, {
          onProgress: (received, total) => process.stderr.write(`\r${formatDownload('cifar-10-binary.tar.gz', received, total)}`),
        });
    process.stderr.write('\n');
  }
  const [train, test] = await Promise.all([loadCifar10(location, 'train'), loadCifar10(location, 'test')]);
  return {
    train: limit === undefined ? train : train.subset(Math.min(limit, train.length)),
    test: limit === undefined ? test : test.subset(Math.min(limit, test.length)),
    source: location,
  };
}
