/**
 * A handle to a float32 tensor that lives in WebAssembly memory. Data stays there between
 * operations; `toArray()` and `set()` are the only copies across the JS boundary.
 */
import { OpError, formatShape } from './errors.js';

/** The part of the engine a tensor needs: the memory and the allocator. */
export interface TensorStorage {
  readonly memory: WebAssembly.Memory;
  freeF32(addr: number, length: number): void;
}

export class Tensor {
  readonly size: number;
  private live = true;

  constructor(
    private readonly storage: TensorStorage,
    /** Byte address of the first element in WebAssembly memory. */
    readonly addr: number,
    readonly shape: readonly number[],
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  get freed(): boolean {
    return !this.live;
  }

  /** Throws unless the tensor is still allocated. */
  assertLive(op: string): void {
    if (!this.live) throw new OpError(op, `tensor ${formatShape(this.shape)} was already freed`);
  }

  /** Belongs to the given storage (tensors of another engine live in another memory). */
  ownedBy(storage: TensorStorage): boolean {
    return this.storage === storage;
  }

  /** A copy of the data. */
  toArray(): Float32Array {
    this.assertLive('toArray');
    return this.view().slice();
  }

  /** Copies `values` (exactly `size` numbers) into the tensor. */
  set(values: ArrayLike<number>): this {
    this.assertLive('set');
    if (values.length !== this.size) {
      throw new OpError('set', `tensor ${formatShape(this.shape)} holds ${this.size} values, got ${values.length}`);
    }
    this.view().set(values);
    return this;
  }

  free(): void {
    this.assertLive('free');
    this.live = false;
    this.storage.freeF32(this.addr, this.size);
  }

  /** A view of the data in WebAssembly memory, valid until the memory next grows. */
  private view(): Float32Array {
    return new Float32Array(this.storage.memory.buffer, this.addr, this.size);
  }
}
