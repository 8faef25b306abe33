import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, itWithFixture } from './fixtures.js';
import {
  getTensor,
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  type SafetensorsFile,
  type Tensor,
  type TensorInput,
} from '../src/train/safetensors.js';

const readFixture = (name: string) => readFileSync(`${FIXTURE_DIR}${name}`);

/** A file: the 8-byte length, `header` as is (no padding unless given), then `data`. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const ascii = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('serializeSafetensors', () => {
  it('writes what the safetensors library writes for one F32 tensor', () => {
    const out = serializeSafetensors({
      'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) },
    });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64); // already a multiple of 8: no padding
    expect(new DataView(out.buffer).getBigUint64(0, true)).toBe(64n);
    expect(ascii(out.subarray(8, 72))).toBe(header);
    expect(out.length).toBe(72 + 24);
    expect([...new Float32Array(out.slice(72).buffer)]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('pads the header with spaces to a multiple of 8 and writes __metadata__ first', () => {
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{}      ')]);
    const withMeta = serializeSafetensors({}, { framework: 'pt' });
    expect(ascii(withMeta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(withMeta[0]).toBe(40);
    // {} metadata is written (as the library does for metadata={}); undefined is not.
    expect(ascii(serializeSafetensors({}, {}).subarray(8))).toBe('{"__metadata__":{}}     ');
  });

  it('orders tensors by dtype (I64, F64, F32, I32, U8) then by UTF-8 name, metadata keys by name', () => {
    const out = serializeSafetensors(
      {
        b: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        a: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
        u: { dtype: 'U8', shape: [2], data: new Uint8Array([7, 8]) },
        i: { dtype: 'I32', shape: [], data: new Int32Array([-3]) },
        z: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
        d: { dtype: 'F64', shape: [1], data: new Float64Array([0.5]) },
        '\u{1F600}': { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
        '\uFFFD': { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
      },
      { zeta: '1', alpha: 'x"y\\z\n' },
    );
    const header = JSON.parse(ascii(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true)))));
    // U+FFFD sorts before U+1F600 in UTF-8 (and code points), after it in UTF-16 units.
    expect(Object.keys(header)).toEqual(['__metadata__', 'z', 'd', 'a', 'b', 'i', 'u', '\uFFFD', '\u{1F600}']);
    expect(Object.keys(header.__metadata__)).toEqual(['alpha', 'zeta']);
    expect(header.z.data_offsets).toEqual([0, 8]);
    expect(header.u.data_offsets).toEqual([28, 30]);
    expect(header['\u{1F600}'].data_offsets).toEqual([30, 30]);
  });

  it('rejects invalid tensors and metadata', () => {
    const bad = (tensors: Record<string, unknown>, metadata?: Record<string, unknown>) => () =>
      serializeSafetensors(tensors as Record<string, TensorInput>, metadata as Record<string, string>);
    expect(bad({ x: { dtype: 'F32', shape: [2], data: new Float64Array(2) } })).toThrowError(
      "serializeSafetensors: tensor 'x' has dtype F32 but its data is not a Float32Array",
    );
    expect(bad({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrowError(
      "serializeSafetensors: tensor 'x' has shape [2, 2] (4 elements) but 3 values",
    );
    expect(bad({ x: { dtype: 'BF16', shape: [1], data: new Uint16Array(1) } })).toThrowError(
      "serializeSafetensors: tensor 'x' has dtype BF16, which is not supported (F32, F64, I64, I32, U8)",
    );
    expect(bad({ x: { dtype: 'U8', shape: [-1], data: new Uint8Array(0) } })).toThrowError(/not a list of integers/);
    expect(bad({ x: { dtype: 'U8', shape: [1.5], data: new Uint8Array(0) } })).toThrowError(/not a list of integers/);
    expect(bad({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrowError(
      /'__metadata__' cannot be a tensor name/,
    );
    expect(bad({}, { epochs: 3 })).toThrowError("serializeSafetensors: metadata 'epochs' is not a string");
    expect(bad({ x: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).not.toThrow();
  });
});

describe('parseSafetensors', () => {
  it('round-trips every dtype, scalars, empty tensors, unicode names and metadata', () => {
    const tensors: Record<string, Tensor> = {
      f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1.5, -2, 3e-38, Infinity, NaN, -0]) },
      f64: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      i32: { dtype: 'I32', shape: [], data: new Int32Array([-2147483648]) },
      u8: { dtype: 'U8', shape: [3, 1], data: new Uint8Array([0, 128, 255]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      'layer.0.ü/名': { dtype: 'F32', shape: [1], data: new Float32Array([7]) },
    };
    const metadata = { format: 'pt', 'clé': 'välue ✓', json: '[1,2]', '__proto__': 'safe' };
    const bytes = serializeSafetensors(tensors, metadata);
    const file = parseSafetensors(bytes, 'round-trip');
    expect(file.metadata).toEqual(Object.fromEntries(Object.entries(metadata)));
    expect(Object.getPrototypeOf(file.metadata)).toBe(Object.prototype); // __proto__ was a plain key
    expect([...file.tensors.keys()]).toEqual(['i64', 'f64', 'empty', 'f32', 'layer.0.ü/名', 'i32', 'u8']);
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = file.tensors.get(name)!;
      expect(got.dtype).toBe(tensor.dtype);
      expect(got.shape).toEqual(tensor.shape);
      expect(got.data.constructor).toBe(tensor.data.constructor);
      expect(got.data.byteOffset).toBe(0);
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(tensor.data.buffer))).toBe(true);
    }
    // Writing the parsed file again gives the same bytes (a Map is accepted too).
    expect(Buffer.from(serializeSafetensors(file.tensors, file.metadata)).equals(bytes)).toBe(true);
  });

  it('copies the data out: the input bytes can be reused, and offsets need not be aligned', () => {
    // A 107-byte header without padding: the F64 tensor starts at file offset 8 + 107 + 3 = 118,
    // which is not 8-aligned (and the file itself sits at offset 3 of a bigger buffer).
    const header = '{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"F64","shape":[2],"data_offsets":[3,19]}}';
    const data = new Uint8Array(19);
    data.set([1, 2, 3]);
    new DataView(data.buffer).setFloat64(3, 1.25, true);
    new DataView(data.buffer).setFloat64(11, -7.5, true);
    const bytes = rawFile(header, data);
    const pool = new Uint8Array(bytes.length + 5);
    pool.set(bytes, 3);
    const file = parseSafetensors(pool.subarray(3, 3 + bytes.length));
    pool.fill(0);
    expect([...getTensor(file, 'a', 'U8', [3]).data]).toEqual([1, 2, 3]);
    expect([...getTensor(file, 'b', 'F64', [2]).data]).toEqual([1.25, -7.5]);
    expect(file.metadata).toEqual({});
  });

  it('accepts tensors listed in any order, as long as their data tiles the data region', () => {
    const header = '{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const file = parseSafetensors(rawFile(header, new Uint8Array([10, 20])));
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
    expect(getTensor(file, 'b', 'U8').data[0]).toBe(20);
  });

  describe('errors name the source and the problem', () => {
    const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes, 'bad.safetensors');
    const tensorFile = (entry: string, dataLength: number) =>
      rawFile(`{"x":${entry}}`, new Uint8Array(dataLength));

    it('truncated header or header length beyond the file', () => {
      expect(parse(new Uint8Array(5))).toThrowError(
        'bad.safetensors: truncated header: the file is 5 bytes, less than the 8-byte header length',
      );
      expect(parse(rawFile('{}', new Uint8Array(0), 100n))).toThrowError(
        'bad.safetensors: header length 100 goes beyond the end of the file (10 bytes)',
      );
      expect(parse(rawFile('{}', new Uint8Array(0), 2n ** 64n - 1n))).toThrowError(
        /header length 18446744073709551615 goes beyond the end of the file/,
      );
    });

    it('header that is not UTF-8, not JSON, or not an object', () => {
      const notUtf8 = rawFile('{"a":1}');
      notUtf8[10] = 0xff;
      expect(parse(notUtf8)).toThrowError('bad.safetensors: the header is not valid UTF-8');
      expect(parse(rawFile('{"x":'))).toThrowError(/^bad\.safetensors: the header is not valid JSON \(/);
      expect(parse(rawFile(''))).toThrowError(/the header is not valid JSON/);
      expect(parse(rawFile('[1,2]   '))).toThrowError('bad.safetensors: the header is not a JSON object');
      expect(parse(rawFile(' {}'))).toThrowError('bad.safetensors: the header is not a JSON object');
      expect(parse(rawFile('null'))).toThrowError('bad.safetensors: the header is not a JSON object');
    });

    it('bad __metadata__ or tensor entries', () => {
      expect(parse(rawFile('{"__metadata__":{"a":1}}'))).toThrowError("bad.safetensors: __metadata__ 'a' is not a string");
      expect(parse(rawFile('{"__metadata__":"a"}'))).toThrowError('bad.safetensors: __metadata__ is not an object of strings');
      expect(parse(rawFile('{"x":[1]}'))).toThrowError("bad.safetensors: tensor 'x' is not an object");
      expect(parse(tensorFile('{"shape":[1],"data_offsets":[0,4]}', 4))).toThrowError("bad.safetensors: tensor 'x' has no dtype");
    });

    it('unsupported dtype', () => {
      expect(parse(tensorFile('{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}', 4))).toThrowError(
        "bad.safetensors: tensor 'x' has dtype BF16, which is not supported (F32, F64, I64, I32, U8)",
      );
      expect(parse(tensorFile('{"dtype":"f32","shape":[1],"data_offsets":[0,4]}', 4))).toThrowError(
        /tensor 'x' has dtype f32, which is not supported/,
      );
    });

    it('bad shape or data_offsets', () => {
      expect(parse(tensorFile('{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}', 0))).toThrowError(
        "bad.safetensors: tensor 'x' has shape [-1], not a list of integers >= 0",
      );
      expect(parse(tensorFile('{"dtype":"F32","shape":"2","data_offsets":[0,8]}', 8))).toThrowError(/has shape "2"/);
      expect(parse(tensorFile('{"dtype":"F32","shape":[1e300,1e300],"data_offsets":[0,0]}', 0))).toThrowError(
        /not a list of integers/,
      );
      expect(parse(tensorFile('{"dtype":"F32","shape":[1],"data_offsets":[0]}', 4))).toThrowError(
        "bad.safetensors: tensor 'x' has data_offsets [0], not [begin, end] integers >= 0",
      );
      expect(parse(tensorFile('{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}', 4))).toThrowError(/not \[begin, end\]/);
      expect(parse(tensorFile('{"dtype":"F32","shape":[1]}', 4))).toThrowError(/has data_offsets undefined/);
      expect(parse(tensorFile('{"dtype":"F32","shape":[0],"data_offsets":[4,0]}', 4))).toThrowError(
        "bad.safetensors: tensor 'x' has data_offsets [4, 0]: begin is after end",
      );
    });

    it('data_offsets out of range', () => {
      expect(parse(tensorFile('{"dtype":"F32","shape":[2],"data_offsets":[0,8]}', 4))).toThrowError(
        "bad.safetensors: tensor 'x' has data_offsets [0, 8], out of range: the data is 4 bytes",
      );
    });

    it('data_offsets that do not match shape and dtype', () => {
      expect(parse(tensorFile('{"dtype":"F64","shape":[2,3],"data_offsets":[0,24]}', 24))).toThrowError(
        "bad.safetensors: tensor 'x' has data_offsets [0, 24] (24 bytes), but shape [2, 3] of F64 needs 48 bytes",
      );
    });

    it('overlapping tensors, gaps and unused trailing bytes', () => {
      const two = (a: string, b: string, n: number) =>
        rawFile(`{"a":{"dtype":"U8","shape":[2],"data_offsets":${a}},"b":{"dtype":"U8","shape":[2],"data_offsets":${b}}}`, new Uint8Array(n));
      expect(parse(two('[0,2]', '[1,3]', 3))).toThrowError(
        "bad.safetensors: tensors 'a' [0, 2] and 'b' [1, 3] overlap",
      );
      expect(parse(two('[0,2]', '[0,2]', 2))).toThrowError(/tensors 'a' \[0, 2\] and 'b' \[0, 2\] overlap/);
      expect(parse(two('[0,2]', '[3,5]', 5))).toThrowError('bad.safetensors: data bytes [2, 3] belong to no tensor');
      expect(parse(two('[0,2]', '[2,4]', 6))).toThrowError('bad.safetensors: data bytes [4, 6] belong to no tensor');
      expect(parse(rawFile('{}', new Uint8Array(1)))).toThrowError('bad.safetensors: data bytes [0, 1] belong to no tensor');
    });

    it('uses "safetensors" as the default source', () => {
      expect(() => parseSafetensors(new Uint8Array(0))).toThrowError(/^safetensors: truncated header/);
      expect(() => parseSafetensors(new Uint8Array(0))).toThrowError(SafetensorsError);
    });
  });

  it('getTensor checks name, dtype and shape', () => {
    const file = parseSafetensors(serializeSafetensors({ x: { dtype: 'I64', shape: [1], data: new BigInt64Array([3n]) } }));
    expect(getTensor(file, 'x', 'I64', [1]).data[0]).toBe(3n);
    expect(() => getTensor(file, 'y', 'I64', undefined, 'f')).toThrowError("f: no tensor 'y'");
    expect(() => getTensor(file, 'x', 'F32')).toThrowError("safetensors: tensor 'x' is I64, not F32");
    expect(() => getTensor(file, 'x', 'I64', [1, 1])).toThrowError("safetensors: tensor 'x' has shape [1], not [1, 1]");
  });
});

describe('the PyTorch fixtures (test/fixtures/make_fixtures.py)', () => {
  // Committed: test/fixtures/*.safetensors. The large ones are generated into
  // test/fixtures/generated/ (make_fixtures.py --generated, test/global-setup.ts) instead.
  const small = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.safetensors'));
  const smallModels = small.filter((f) => f.startsWith('model_'));

  it('include every op fixture', () => {
    expect(small.length - smallModels.length).toBe(26);
  });

  it('include the registry models small enough to commit', () => {
    expect(smallModels.sort()).toEqual(['fast_senet', 'resnet20', 'resnet32', 'se_resnet20', 'se_resnet32'].map((m) => `model_${m}.safetensors`));
  });

  it('commit no fixture over 2 MiB (make_fixtures.py lists the larger ones in GENERATED)', () => {
    for (const name of small) expect(statSync(`${FIXTURE_DIR}${name}`).size, name).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it.each(small)('%s reads and re-serializes to the same bytes', (name) => {
    const bytes = readFixture(name);
    const file = parseSafetensors(bytes, name);
    expect(file.metadata.torch).toMatch(/^\d+\.\d+/);
    expect(Buffer.from(serializeSafetensors(file.tensors, file.metadata)).equals(bytes)).toBe(true);
  });

  it('relu.safetensors is byte-identical after a round trip and holds relu', () => {
    const bytes = readFixture('relu.safetensors');
    const file = parseSafetensors(bytes, 'relu.safetensors');
    expect([...file.tensors.keys()].sort()).toEqual(['grad_input', 'grad_output', 'input', 'output']);
    const input = getTensor(file, 'input', 'F32', [2, 3, 4, 5]).data;
    const output = getTensor(file, 'output', 'F32', [2, 3, 4, 5]).data;
    const gradOutput = getTensor(file, 'grad_output', 'F32', [2, 3, 4, 5]).data;
    const gradInput = getTensor(file, 'grad_input', 'F32', [2, 3, 4, 5]).data;
    for (let i = 0; i < input.length; i++) {
      expect(output[i]).toBe(Math.max(input[i]!, 0));
      expect(gradInput[i]).toBe(input[i]! > 0 ? gradOutput[i] : 0);
    }
    expect(Buffer.from(serializeSafetensors(file.tensors, file.metadata)).equals(bytes)).toBe(true);
  });

  it('max_pool2d indices are I64 offsets into each H*W input plane', () => {
    const file = parseSafetensors(readFixture('max_pool2d_general.safetensors'));
    expect(JSON.parse(file.metadata.kernel_size!)).toEqual([3, 2]);
    const input = getTensor(file, 'input', 'F32', [2, 2, 7, 5]).data;
    const output = getTensor(file, 'output', 'F32', [2, 2, 4, 4]).data;
    const indices = getTensor(file, 'indices', 'I64', [2, 2, 4, 4]).data;
    for (let i = 0; i < output.length; i++) {
      const plane = Math.floor(i / 16);
      expect(input[plane * 35 + Number(indices[i])]).toBe(output[i]);
    }
  });

  it('cross_entropy.safetensors holds a scalar loss (shape []) and I64 labels', () => {
    const file = parseSafetensors(readFixture('cross_entropy.safetensors'));
    expect(getTensor(file, 'loss', 'F32', []).data.length).toBe(1);
    expect(getTensor(file, 'labels', 'I64', [6]).data.every((l) => l >= 0n && l < 10n)).toBe(true);
  });

  /** The parameter count of the state dict `state.<key>`: every tensor but BatchNorm's buffers. */
  const countParameters = (file: SafetensorsFile) => {
    let count = 0;
    for (const [name, tensor] of file.tensors) {
      if (name.startsWith('state.') && !/(running_mean|running_var|num_batches_tracked)$/.test(name)) count += tensor.data.length;
    }
    return count;
  };

  itWithFixture('senet_b4', 'senet_b4: the whole model, 6,415,882 parameters, and re-serializes to the same bytes', (fixture) => {
    const { file } = fixture;
    const bytes = readFileSync(fixture.path);
    const excluded = ['running_', 'num_batches_tracked', 'grad.', 'after.', 'input', 'labels', 'logits', 'loss'];
    let parameters = 0;
    for (const [name, tensor] of file.tensors) {
      if (!excluded.some((part) => name.includes(part))) parameters += tensor.data.length;
    }
    expect(parameters).toBe(6_415_882);
    expect(file.metadata.parameters).toBe('6415882');
    getTensor(file, 'input', 'F32', [4, 3, 32, 32]);
    getTensor(file, 'labels', 'I64', [4]);
    getTensor(file, 'logits', 'F32', [4, 10]);
    getTensor(file, 'loss', 'F32', []);
    getTensor(file, 'features.16.fc1.weight', 'F32', [64, 1024, 1, 1]);
    getTensor(file, 'grad.features.16.fc2.weight', 'F32', [1024, 64, 1, 1]);
    getTensor(file, 'classifier.0.weight', 'F32', [10, 1024]);
    expect(getTensor(file, 'features.17.num_batches_tracked', 'I64', []).data[0]).toBe(0n);
    expect(getTensor(file, 'after.features.17.num_batches_tracked', 'I64', []).data[0]).toBe(1n);
    for (const name of file.tensors.keys()) {
      if (name.startsWith('grad.')) expect(file.tensors.has(name.slice(5))).toBe(true);
      if (name.startsWith('after.')) expect(file.tensors.has(name.slice(6))).toBe(true);
    }
    expect(Buffer.from(serializeSafetensors(file.tensors, file.metadata)).equals(bytes)).toBe(true);
  });

  itWithFixture('se_resnet20_b4', 'se_resnet20_b4: 274,490 parameters; a gradient for each, the state after Adam and after SGD', ({ file }) => {
    const state = [...file.tensors.keys()].filter((name) => !/^(grad|after|after_sgd)\./.test(name) && !['input', 'labels', 'logits', 'loss'].includes(name));
    const parameters = state.filter((name) => !/(running_mean|running_var|num_batches_tracked)$/.test(name));
    expect(parameters.reduce((sum, name) => sum + file.tensors.get(name)!.data.length, 0)).toBe(274_490);
    expect(file.metadata.parameters).toBe('274490');
    expect(file.metadata.model).toBe('se_resnet20');
    getTensor(file, 'input', 'F32', [4, 3, 32, 32]);
    getTensor(file, 'labels', 'I64', [4]);
    getTensor(file, 'logits', 'F32', [4, 10]);
    getTensor(file, 'loss', 'F32', []);
    getTensor(file, 'layer1.0.se.fc1.weight', 'F32', [1, 16, 1, 1]);
    getTensor(file, 'layer3.0.se.fc2.weight', 'F32', [64, 4, 1, 1]);
    getTensor(file, 'layer2.0.downsample.0.weight', 'F32', [32, 16, 1, 1]);
    getTensor(file, 'grad.fc.weight', 'F32', [10, 64]);
    expect(parameters.every((name) => file.tensors.has(`grad.${name}`))).toBe(true);
    expect([...file.tensors.keys()].filter((name) => name.startsWith('grad.')).length).toBe(parameters.length);
    for (const prefix of ['after.', 'after_sgd.']) {
      expect([...file.tensors.keys()].filter((name) => name.startsWith(prefix)).sort(), prefix).toEqual(state.map((name) => prefix + name).sort());
      expect(getTensor(file, `${prefix}bn1.num_batches_tracked`, 'I64', []).data[0]).toBe(1n);
    }
    expect(JSON.parse(file.metadata.sgd_nesterov!)).toBe(true);
  });

  describe.each(['senet', 'resnet20', 'resnet32', 'resnet56', 'resnet110', 'se_resnet20', 'se_resnet32', 'se_resnet56', 'se_resnet110'])('model_%s', (model) => {
    itWithFixture(`model_${model}`, 'holds the state dict, an input and eval-mode logits', ({ file }) => {
      expect(file.metadata.model).toBe(model);
      expect(countParameters(file)).toBe(Number(file.metadata.parameters));
      getTensor(file, 'input', 'F32', [2, 3, 32, 32]);
      getTensor(file, 'logits', 'F32', [2, 10]);
      expect([...file.tensors.keys()].filter((name) => !name.startsWith('state.')).sort()).toEqual(['input', 'logits']);
      const tracked = [...file.tensors].filter(([name]) => name.endsWith('num_batches_tracked'));
      expect(tracked.length).toBeGreaterThan(0);
      for (const [name, tensor] of tracked) expect(tensor.data[0], name).toBe(4n);
    });
  });
});
