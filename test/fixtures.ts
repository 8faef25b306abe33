/** Reads the PyTorch fixtures in test/fixtures/ (made by make_fixtures.py). */
import { readFileSync } from 'node:fs';
import { getTensor, parseSafetensors, type SafetensorsFile } from '../src/train/safetensors.js';

export class Fixture {
  private constructor(
    readonly name: string,
    readonly file: SafetensorsFile,
  ) {}

  static load(name: string): Fixture {
    const path = new URL(`./fixtures/${name}.safetensors`, import.meta.url);
    return new Fixture(name, parseSafetensors(readFileSync(path), `${name}.safetensors`));
  }

  /** A float32 tensor. */
  f32(name: string): { shape: number[]; data: Float32Array } {
    return getTensor(this.file, name, 'F32', undefined, this.name);
  }

  /** An int64 tensor as plain numbers. */
  i64(name: string): { shape: number[]; data: number[] } {
    const t = getTensor(this.file, name, 'I64', undefined, this.name);
    return { shape: t.shape, data: Array.from(t.data, Number) };
  }

  /** A metadata value parsed as JSON. */
  meta<T>(key: string): T {
    const value = this.file.metadata[key];
    if (value === undefined) throw new Error(`${this.name}: no metadata '${key}'`);
    return JSON.parse(value) as T;
  }

  names(): string[] {
    return [...this.file.tensors.keys()];
  }
}
