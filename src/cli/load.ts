/** Loading a data set from the command line: what `--data` is, a progress bar while images decode, and what was found. */
import { formatDecoding } from '../train/progress.js';
import type { TrainerClient } from '../worker/client.js';
import type { DataInfo } from '../worker/trainer.js';
import { dataSource, type FolderDefaults } from './data.js';

/**
 * Loads the data the flags `v` name into `trainer` (with `testOnly`, only the test set; an image
 * folder with `folder`'s options where the flags give none), telling stderr what it found.
 */
export async function loadDataFromFlags(
  trainer: TrainerClient, v: Record<string, unknown>, limit: number | undefined, { testOnly = false, folder = {} }: { testOnly?: boolean; folder?: FolderDefaults } = {},
): Promise<DataInfo> {
  const { source, found } = await dataSource(v, limit, folder);
  if (found) console.error(found);
  const tty = process.stderr.isTTY;
  let last = Date.now();
  const info = await trainer.loadData({ ...source, ...(testOnly ? { testOnly } : {}) }, {
    onProgress: (done, total) => {
      const now = Date.now();
      if (tty) process.stderr.write(`\r${formatDecoding(done, total)}\x1b[K${done === total ? '\n' : ''}`);
      else if (done === total || now - last > 30_000) {
        process.stderr.write(`${formatDecoding(done, total)}\n`);
        last = now;
      }
    },
  });
  for (const line of info.details) console.error(line);
  return info;
}
