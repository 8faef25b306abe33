/**
 * The senet command, run as a user runs it (node dist/cli/main.js; npm test builds dist first):
 * help, exit codes, training on the synthetic set with --save, evaluation with --output, and
 * clear errors for bad flags, data, weights, a batch too large for WebAssembly memory, more
 * threads than cores and a reader that closes the pipe early.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CLI, senet } from './cli-runner.js';

describe('senet CLI', () => {
  it('prints help for every command and exits 0', () => {
    expect(senet(['--help']).stdout).toContain('senet train [options]');
    for (const command of ['train', 'eval', 'info', 'predict', 'models']) {
      const r = senet([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toContain(`senet ${command}`);
    }
  });

  it('rejects bad usage with exit code 2 and a message naming the problem', () => {
    const cases: [string[], string][] = [
      [['fly'], "unknown command 'fly'"],
      [['train', '--bogus'], "Unknown option '--bogus'"],
      [['train', '--epochs', 'x'], "--epochs needs a number > 0, got 'x'"],
      [['train', '--optimizer', 'rmsprop'], '--optimizer must be one of adam, adamw, sgd'],
      [['train', '--schedule', 'linear'], '--schedule must be one of constant, step, cosine, one-cycle'],
      [['train', '--resume', '--out', mkdtempSync(join(tmpdir(), 'senet-'))], '--resume: no checkpoint at'],
      [['eval'], 'senet eval needs --weights'],
      [['train', '--model', 'se_resnet21'], "--model: unknown model 'se_resnet21' (did you mean 'se_resnet20'?); the models are: senet, fast_senet, se_resnet20"],
    ];
    for (const [args, message] of cases) {
      const r = senet(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  });

  it('fails with exit code 1 and the download hint when the data is missing or corrupt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const missing = senet(['train', '--data', dir, '--steps', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('data_batch_1.bin');
    expect(missing.stderr).toContain('download');
    writeFileSync(join(dir, 'data_batch_1.bin'), new Uint8Array(3073 * 2 - 5));
    const truncated = senet(['train', '--data', dir, '--steps', '1']);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toContain('is not a multiple of 3073');
  });

  it('exits quietly, as SIGPIPE would end it, when the reader of its output closes the pipe (senet info | head -1)', async () => {
    const child = spawn(process.execPath, [CLI, 'info', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away before the command writes a line
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });

  it('warns once when --threads exceeds the cores of the host', () => {
    const cores = availableParallelism();
    const warning = `senet-wasm: ${cores + 1} threads on ${cores} core`;
    const info = senet(['info', '--threads', String(cores + 1)]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain(`threads:       ${cores + 1} (cores: ${cores})`);
    expect(info.stderr.split(warning)).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const train = senet(['train', '--data', 'synthetic', '--limit', '16', '--batch-size', '16', '--steps', '1', '--threads', String(cores + 1), '--out', 'run'], dir);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr.split(warning)).toHaveLength(2);
    expect(senet(['info', '--threads', String(cores)]).stderr).not.toContain('threads beyond the cores');
  });

  it('says that a batch too large for the 4 GiB of WebAssembly memory does not fit, and which --batch-size to try', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    // Batch 8192: the first convolution's output alone, [8192, 64, 32, 32], is 2 GiB.
    const r = senet(['train', '--data', 'synthetic', '--limit', '8192', '--batch-size', '8192', '--steps', '1', '--threads', '1', '--out', 'run'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('senet: tensor: out of WebAssembly memory in features.0 (Conv2d): a [8192, 64, 32, 32] tensor needs 2 GiB');
    expect(r.stderr).toContain('(4 GiB in all, whatever the RAM of the host)');
    expect(r.stderr).toContain('--batch-size 8192 does not fit with this model: try --batch-size 4096, and halve again until it fits');
    expect(r.stderr).not.toContain('alloc_f32');
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('profiles training steps: every layer, pass, the loss, the update and the data wait', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const r = senet(['train', '--data', 'synthetic', '--limit', '32', '--steps', '2', '--batch-size', '16', '--threads', '1', '--profile', '--out', 'run'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/per step, mean of 2 steps \(\d+ ms a step\)/);
    for (const row of [
      /features\.0 +Conv2d +forward +\[16,3,32,32\]/, /features\.0 +Conv2d +backward +\[16,64,32,32\]/,
      /features\.1 +BatchNorm2d\+ReLU +forward/, /features\.16 +SEBlock +backward +\[16,1024,4,4\]/,
      /classifier\.0 +Linear +forward +\[16,1024\]/, /loss +loss +forward +\[16,10\]/, /optimizer +optimizer +update +\[6415882\]/,
      /data +data +wait/, /^Conv2d backward +[\d.]+ +[\d.]+%$/m,
    ]) {
      expect(r.stdout).toMatch(row);
    }
    expect(r.stdout).not.toMatch(/features\.2 +ReLU/); // fused into the batch norm
  });

  it('stops on Ctrl-C after the current batch with a checkpoint that --resume continues', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const args = ['train', '--data', 'synthetic', '--limit', '320', '--epochs', '1', '--batch-size', '16', '--threads', '1', '--out', 'run'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('training senet') && !interrupted) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('stopping after this batch');
    const stopped = stderr.match(/stopped after (\d+) steps; checkpoint in run\/checkpoint\.safetensors/);
    expect(stopped, stderr).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThan(20);
    expect(code).toBe(130);
    const resumed = senet([...args, '--resume'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^epoch 1\/1: train loss/m);
    const log = readFileSync(join(dir, 'run', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.at(-1)).toEqual({ type: 'end', reason: 'done', progress: { epoch: 1, batch: 0, step: 20 } });
  });

  it('trains on the synthetic set, saves a state dict, and evaluates it to JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const train = senet(['train', '--data', 'synthetic', '--limit', '64', '--epochs', '1', '--batch-size', '32', '--threads', '2', '--out', 'run', '--save', 'w.safetensors'], dir);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/^epoch 1\/1: train loss [\d.]+ acc [\d.]+%, test loss [\d.]+ acc [\d.]+%/m);
    const log = readFileSync(join(dir, 'run', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.at(-1)).toEqual({ type: 'end', reason: 'done', progress: { epoch: 1, batch: 0, step: 2 } });

    const evaluation = senet(['eval', '--weights', 'w.safetensors', '--data', 'synthetic', '--limit', '20', '--output', 'preds.json'], dir);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    expect(evaluation.stdout).toMatch(/test loss [\d.]+, accuracy [\d.]+% \(20 images\)/);
    const preds = JSON.parse(readFileSync(join(dir, 'preds.json'), 'utf8'));
    expect(Object.keys(preds)).toEqual(['accuracy', 'count', 'perClass', 'confusion', 'predictions']);
    expect(preds.count).toBe(20);
    expect(preds.predictions).toHaveLength(20);
    expect(preds.predictions[0]).toEqual({ index: 0, label: 0, predicted: expect.any(Number), logits: expect.any(Array) });
    expect(preds.predictions[0].logits).toHaveLength(10);
    expect(preds.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(20);

    // predict: a PNG and a JPEG of different sizes, resized to 32x32.
    const png = new PNG({ width: 40, height: 30 });
    png.data.fill(200);
    writeFileSync(join(dir, 'a.png'), PNG.sync.write(png));
    const jpg = jpeg.encode({ width: 64, height: 64, data: Buffer.alloc(64 * 64 * 4, 90) }, 90);
    writeFileSync(join(dir, 'b.jpg'), jpg.data);
    const predict = senet(['predict', '--weights', 'w.safetensors', 'a.png', 'b.jpg'], dir);
    expect(predict.code, predict.stderr).toBe(0);
    const lines = predict.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    // The class names are those the state dict records: the synthetic set's (green-v, cyan-v2, ...).
    for (const [i, file] of ['a.png', 'b.jpg'].entries()) expect(lines[i]).toMatch(new RegExp(`^${file}: ([\\w-]+ [\\d.]+%, ){2}[\\w-]+ [\\d.]+%$`));
    writeFileSync(join(dir, 'c.gif'), 'GIF89a');
    const gif = senet(['predict', '--weights', 'w.safetensors', 'c.gif'], dir);
    expect(gif.code).toBe(1);
    expect(gif.stderr).toContain('c.gif: a GIF file; PNG and JPEG images are supported');

    const wrongWeights = join(dir, 'bad.safetensors');
    writeFileSync(wrongWeights, new Uint8Array([1, 2, 3]));
    const bad = senet(['eval', '--weights', wrongWeights, '--data', 'synthetic', '--limit', '4'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.safetensors');
  });

  it('lists the models, trains one by name, and eval/predict take the model from the file\'s metadata', () => {
    const models = senet(['models']);
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/^senet +6,415,882 parameters/m);
    expect(models.stdout).toMatch(/^se_resnet110 +1,742,810 parameters/m);
    expect(senet(['train', '--help']).stdout).toContain('se_resnet20, se_resnet32');

    const dir = mkdtempSync(join(tmpdir(), 'senet-'));
    const train = senet(['train', '--model', 'se_resnet20', '--data', 'synthetic', '--limit', '32', '--steps', '2', '--batch-size', '16', '--threads', '1', '--out', 'run', '--save', 'w.safetensors'], dir);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('training se_resnet20 (274,490 parameters)');
    const header = readFileSync(join(dir, 'w.safetensors'));
    const json = JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString('utf8'));
    expect(json.__metadata__.model).toBe('se_resnet20');
    expect(JSON.parse(json.__metadata__.classes)).toHaveLength(10);
    expect(Object.keys(json).filter((k) => k !== '__metadata__').every((k) => /^(conv1|bn1|layer\d|fc)\./.test(k))).toBe(true);

    const evaluation = senet(['eval', '--weights', 'w.safetensors', '--data', 'synthetic', '--limit', '8', '--threads', '1'], dir);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const mismatch = senet(['eval', '--weights', 'w.safetensors', '--model', 'senet', '--data', 'synthetic', '--limit', '8'], dir);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('w.safetensors holds a se_resnet20 state dict, not senet');
    const resumeOther = senet(['train', '--model', 'resnet20', '--resume', '--out', 'run', '--data', 'synthetic', '--limit', '32'], dir);
    expect(resumeOther.code).toBe(2);
    expect(resumeOther.stderr).toContain('holds a se_resnet20 state dict, not resnet20');
  });
});
