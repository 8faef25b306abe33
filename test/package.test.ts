/**
 * The package as users get it: `npm pack`, the tarball installed into a fresh project in a
 * temporary folder (outside the repository, so nothing resolves to its node_modules or sources),
 * and used from there on the Node running the tests: an ES module that imports it and trains a few
 * steps through createTrainer, a CommonJS script that require()s it, a TypeScript file
 * type-checked against the published declarations, and the senet command through npx.
 *
 * The install fetches the dependencies (comlink, jpeg-js, pngjs) from the npm registry: skipped,
 * with a message, when npm cannot reach it. Packs what `npm run build` left in dist/ (npm test
 * builds first); `--ignore-scripts` keeps npm pack from rebuilding dist/ under the other tests.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/**
 * The environment of a user's shell: this Node first on PATH (npm and npx start `node` from it),
 * and none of the npm_* variables `npm test` sets (npm_config_local_prefix and the like would
 * point the inner npm at this repository), nor NODE_PATH.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_PATH' && key !== 'NODE_OPTIONS') env[key] = value;
  }
  env.PATH = [dirname(process.execPath), env.PATH ?? ''].join(delimiter);
  return env;
}

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: userEnv(), timeout: 180_000, ...options });
  if (result.error) throw result.error;
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const registry = run('npm', ['ping'], { cwd: tmpdir(), timeout: 30_000 });
const unreachable = registry.code === 0 ? undefined : `npm cannot reach the registry (npm ping: ${registry.stderr.trim().split('\n').pop()})`;
if (unreachable) console.warn(`installed-package tests skipped: ${unreachable}`);

interface PackedFile {
  path: string;
  size: number;
}
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

describe.skipIf(unreachable !== undefined)('the package installed from its tarball', () => {
  let work: string;
  let project: string;
  let packed: Packed;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
    work = mkdtempSync(join(tmpdir(), 'senet-package-'));
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    expect(pack.code, pack.stderr).toBe(0);
    packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
    console.log(
      `${packed.filename}: ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packed.entryCount} files`,
    );
    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'senet-package-test', version: '1.0.0', private: true }, null, 2));
    const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed.filename)], { cwd: project });
    expect(install.code, install.stderr).toBe(0);
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const node = (args: string[]) => run(process.execPath, args, { cwd: project });

  it('holds the built library, the WebAssembly builds, the README and the licence, and no tests, fixtures, sources or source maps', () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toContain('LICENSE');
    const unexpected = paths.filter((p) => !/^(README\.md|LICENSE|package\.json|dist\/.+\.(js|d\.ts)|pkg\/senet-[\w-]+(_bg\.wasm(\.d\.ts)?|\.js|\.d\.ts))$/.test(p));
    expect(unexpected).toEqual([]);
    for (const p of paths) expect(p).not.toMatch(/(^|\/)(test|tests|fixtures|crate|src|bench|demo|examples)\//);
    // Every module in dist/ is built from a source file that still exists (no leftovers of old builds).
    for (const p of paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js'))) {
      const source = join(ROOT, 'src', p.slice('dist/'.length).replace(/\.js$/, ''));
      expect(existsSync(`${source}.ts`) || existsSync(`${source}.js`), p).toBe(true);
    }
    for (const variant of ['simd', 'simd-threads', 'relaxed-threads']) {
      expect(paths).toContain(`pkg/senet-${variant}_bg.wasm`);
      expect(paths).toContain(`pkg/senet-${variant}.js`);
    }
    expect(paths).toContain('dist/cli/main.js');
    expect(packed.size).toBeLessThan(1024 * 1024);
  });

  it('resolves nothing from this repository: only the package and its own dependencies are installed', () => {
    expect(readdirSync(join(project, 'node_modules')).filter((d) => !d.startsWith('.')).sort()).toEqual(['comlink', 'jpeg-js', 'pngjs', 'senet-wasm']);
    const resolve = node(['-e', "for (const m of ['senet-wasm/package.json', 'vitest', 'typescript', 'tsx']) { try { console.log(m, require.resolve(m)); } catch { console.log(m, 'missing'); } }"]);
    expect(resolve.stdout).toContain(`senet-wasm/package.json ${join(project, 'node_modules/senet-wasm/package.json')}`);
    for (const devDependency of ['vitest', 'typescript', 'tsx']) expect(resolve.stdout).toContain(`${devDependency} missing`);
  });

  it('trains a few steps through createTrainer from an ES module', () => {
    writeFileSync(join(project, 'train.mjs'), `
      import { createTrainer, SENet } from 'senet-wasm';
      const trainer = await createTrainer({ threads: 2, seed: 0 });
      try {
        const data = await trainer.loadData({ kind: 'synthetic', train: 32, test: 8 });
        const losses = [];
        const summary = await trainer.fit({ epochs: 1, batchSize: 8, maxSteps: 3, evaluate: false }, { onBatch: (r) => losses.push(r.loss) });
        console.log(JSON.stringify({ data, info: trainer.info, reason: summary.reason, steps: summary.progress.step, losses, SENet: typeof SENet }));
      } finally {
        await trainer.close();
      }
    `);
    const r = node(['train.mjs']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.data).toMatchObject({ source: 'synthetic', train: 32, test: 8 });
    expect(out.info).toMatchObject({ threads: 2, parameters: 6_415_882 });
    expect(['relaxed-threads', 'simd-threads']).toContain(out.info.variant);
    expect(out.steps).toBe(3);
    expect(out.losses).toHaveLength(3);
    for (const loss of out.losses) expect(loss).toBeGreaterThan(0);
    expect(out.SENet).toBe('function');
  });

  it("require()s from CommonJS (Node 20.19+, 22.12+: the library's module graph has no top-level await)", () => {
    writeFileSync(join(project, 'require.cjs'), `
      const { Engine, WasmMemoryError } = require('senet-wasm');
      Engine.create({ threads: 1 }).then(async (engine) => {
        const t = engine.tensor([3], [1, 2, 3]);
        console.log(JSON.stringify({ values: Array.from(t.toArray()), variant: engine.variant.name, error: typeof WasmMemoryError }));
        await engine.close();
      });
    `);
    const r = node(['require.cjs']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ values: [1, 2, 3], error: 'function' });
    expect(r.stderr).toBe('');
  });

  it('type-checks a TypeScript program against the published declarations', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] },
      include: ['program.mts'],
    }));
    writeFileSync(join(project, 'program.mts'), `
      import { createTrainer, Engine, WasmMemoryError, type FitSummary, type TrainerInfo, type VariantName } from 'senet-wasm';
      const trainer = await createTrainer({ threads: 1 });
      const info: TrainerInfo = trainer.info;
      const variant: VariantName = info.variant;
      const summary: FitSummary = await trainer.fit({ epochs: 1, batchSize: 8, maxSteps: 1, evaluate: false });
      const steps: number = summary.progress.step;
      const engine = await Engine.create({ threads: 1 });
      const values: Float32Array = engine.tensor([2], [1, 2]).toArray();
      try {
        engine.tensor([2 ** 30]);
      } catch (error) {
        if (error instanceof WasmMemoryError) console.log(error.bytes, error.layer ?? 'no layer', error.batchSize ?? 0);
      }
      // @ts-expect-error: threads is a number
      await createTrainer({ threads: 'two' });
      console.log(variant, steps, values);
    `);
    const r = run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
    // And a mistake is caught: the declarations are real types, not any.
    writeFileSync(join(project, 'program.mts'), `import { Engine } from 'senet-wasm';\nconst n: string = (await Engine.create()).threads;\nconsole.log(n);\n`);
    const wrong = run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain("error TS2322: Type 'number' is not assignable to type 'string'");
  });

  it('runs senet info and senet train --data synthetic --steps 2 through npx', () => {
    const npx = (args: string[]) => run('npx', ['--no', 'senet', ...args], { cwd: project });
    const info = npx(['info']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^build: +senet-(relaxed-threads|simd-threads)$/m);
    expect(info.stdout).toMatch(/^threads: +\d+ \(cores: \d+\)$/m);
    const train = npx(['train', '--data', 'synthetic', '--steps', '2']);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('training senet (6,415,882 parameters) on synthetic: 5000 train / 1000 test images');
    expect(train.stderr).toContain('stopped after 2 steps; checkpoint in runs/senet/checkpoint.safetensors');
    expect(existsSync(join(project, 'runs/senet/checkpoint.safetensors'))).toBe(true);
  });
});
