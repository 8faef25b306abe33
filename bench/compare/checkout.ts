/**
 * The library as a checkout's own src/ defines it, for the senet-wasm child (senet-wasm.ts): this
 * checkout by default, or another one, such as the older commit `npm run bench:ab` compares with.
 * Its TypeScript runs through tsx as it is (no build), with its own pkg/ WebAssembly.
 *
 * Checkouts have had two APIs, and this gives both the same three calls:
 * - since issue 12's rewrite ('autograd'): models by name (`createModel(engine, name, options)`),
 *   `model.call(x)`, `loss.backward()` replaying a tape, `engine.scope()` and `engine.noGrad()`;
 * - before it ('forward-backward'): `SENet.create(engine, options)` the one model,
 *   `model.forward(x)` and `model.backward(grad)`, every tensor freed by its caller.
 * Both have `Engine.create({ threads, variant })`, `new Adam(model.parameters, options)` and
 * `trainStep(engine, model, optimizer, batch)` in src/train/step.ts: the training step is each
 * checkout's own, the one `senet train` runs there.
 *
 * The types are this checkout's; another checkout's objects are used only through the members
 * both APIs share, and the forward-backward calls below.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Library from '../../src/index.js';
import { IMAGE_SHAPE } from './protocol.js';
import { modelForward, type Forward } from './inference.js';

export type Api = 'autograd' | 'forward-backward';

export interface Checkout {
  /** Its absolute path. */
  dir: string;
  api: Api;
  /** Its src/index.ts. */
  library: typeof Library;
  /** The registry model `name`, with PyTorch's default initialisation from `options.seed`, in training mode. */
  createModel(engine: Library.Engine, name: string, options: Library.ModelOptions): Library.Model;
  /** An eval-mode forward that reads the logits back and frees what it made (`model` in eval mode). */
  forward(engine: Library.Engine, model: Library.Model): Forward;
}

/** This repository. */
export const THIS_CHECKOUT = fileURLToPath(new URL('../..', import.meta.url));

export async function loadCheckout(dir: string = THIS_CHECKOUT): Promise<Checkout> {
  dir = resolve(dir);
  for (const file of ['src/index.ts', 'src/train/step.ts', 'pkg']) {
    if (!existsSync(join(dir, file))) throw new Error(`${dir}: no ${file}; is it a senet-wasm checkout?`);
  }
  let library: typeof Library;
  try {
    library = (await import(pathToFileURL(join(dir, 'src/index.ts')).href)) as typeof Library;
  } catch (error) {
    const hint = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && !existsSync(join(dir, 'node_modules'))
      ? ` (it has no node_modules: \`ln -s ${join(THIS_CHECKOUT, 'node_modules')} ${join(dir, 'node_modules')}\`)`
      : '';
    throw new Error(`${dir}: loading src/index.ts failed${hint}: ${(error as Error).message}`);
  }
  const autograd = typeof library.Module.prototype.call === 'function' && typeof library.Engine.prototype.noGrad === 'function';
  const api: Api = autograd ? 'autograd' : 'forward-backward';

  const createModel = (engine: Library.Engine, name: string, options: Library.ModelOptions): Library.Model => {
    if (typeof library.createModel === 'function') return library.createModel(engine, name, options);
    if (name !== 'senet') throw new Error(`${dir} predates the model registry (src/index.ts has no createModel): only --model senet, not '${name}'`);
    return library.SENet.create(engine, options);
  };

  const forward = (engine: Library.Engine, model: Library.Model): Forward => {
    if (autograd) return modelForward(engine, model);
    return (batch, images) => () => {
      const input = engine.tensor([batch, ...IMAGE_SHAPE], images);
      const logits = model.forward(input);
      logits.toArray();
      logits.owner.free();
      input.free();
    };
  };

  return { dir, api, library, createModel, forward };
}
