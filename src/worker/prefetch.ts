/**
 * A DataLoader whose batches are made in a worker of their own, one batch ahead: while the
 * kernels train on batch k, the worker shuffles, crops, flips and scales batch k + 1. The
 * batches are the same as the DataLoader's (the worker runs one with the same options).
 */
import type { Batch, BatchSource, DataLoader, LabeledImages } from '../data/loader.js';
import { ImageDataset } from '../data/cifar10.js';
import type { BatchMaker } from './batch-maker.js';
import { connect, type Connection } from './connect.js';

export class PrefetchingLoader implements BatchSource {
  private constructor(
    private readonly loader: DataLoader,
    private readonly connection: Connection<BatchMaker>,
  ) {}

  /**
   * Starts the worker with `loader`'s data set: shared, not copied, when its bytes are in shared
   * memory (see datasetBytes). A data set that is not an ImageDataset (bytes the worker can be
   * sent) is read where it is, without a worker.
   */
  static async start(loader: DataLoader): Promise<PrefetchingLoader | DataLoader> {
    const set = loader.dataset;
    if (!(set instanceof ImageDataset)) return loader;
    const connection = await connect<BatchMaker>(
      './batch-worker.js',
      () => new Worker(new URL('./batch-worker.js', import.meta.url), { type: 'module' }),
    );
    const { images, labels, classes, height, width, channels } = set;
    await connection.remote.init({ images, labels, classes: [...classes], height, width, channels }, { ...loader.options });
    return new PrefetchingLoader(loader, connection);
  }

  get dataset(): LabeledImages {
    return this.loader.dataset;
  }

  get batchSize(): number {
    return this.loader.batchSize;
  }

  get batchesPerEpoch(): number {
    return this.loader.batchesPerEpoch;
  }

  async *batches(epoch: number, first = 0): AsyncGenerator<Batch> {
    const { remote } = this.connection;
    await remote.start(epoch, first);
    let next = remote.next();
    for (;;) {
      const batch = await next;
      if (batch === null) return;
      next = remote.next();
      yield batch;
    }
  }

  async close(): Promise<void> {
    await this.connection.terminate();
  }
}
