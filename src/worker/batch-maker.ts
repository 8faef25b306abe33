/**
 * Makes the training batches of a DataLoader in the batch worker, one ahead of the training
 * step (see prefetch.ts). It reads the data set's bytes from shared memory where the host has
 * it, else from a copy of its own.
 */
import { DataLoader, type Batch, type LoaderOptions } from '../data/loader.js';
import { ImageDataset } from '../data/cifar10.js';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';

export interface DatasetBytes {
  images: Uint8Array;
  labels: Uint8Array;
  classes: string[];
  height: number;
  width: number;
  channels: number;
}

export class BatchMaker {
  private loader: DataLoader | undefined;
  private batches: Iterator<Batch> | undefined;

  init(data: DatasetBytes, options: LoaderOptions): void {
    const dataset = new ImageDataset(data.images, data.labels, data.classes, data.height, data.width, data.channels);
    this.loader = new DataLoader(dataset, options);
  }

  /** Starts the batches of `epoch` from batch `first`. */
  start(epoch: number, first: number): void {
    if (!this.loader) throw new Error('BatchMaker.start: init first');
    this.batches = this.loader.batches(epoch, first);
  }

  /** The next batch of the epoch (its buffers transferred, not copied), or null at its end. */
  next(): Batch | null {
    const result = this.batches?.next();
    if (!result || result.done) return null;
    const batch = result.value;
    return Comlink.transfer(batch, [batch.images.buffer, batch.labels.buffer, batch.indices.buffer]);
  }
}
