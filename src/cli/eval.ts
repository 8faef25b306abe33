/** `senet eval`: test loss, accuracy, per-class accuracy and the confusion matrix, in eval mode. */
import { readFileSync, writeFileSync } from 'node:fs';
import { createTrainer } from '../worker/client.js';
import { FOLDER_HELP, FOLDER_OPTIONS } from './data.js';
import { loadDataFromFlags } from './load.js';
import { withBatchSizeAdvice } from './memory.js';
import { positiveInt, UsageError } from './usage.js';
import { chooseModel, trainerModelOptions } from './model.js';

export const EVAL_HELP = `senet eval --weights W.safetensors [options]: evaluate a state dict on the test set

  --weights W.safetensors    the state dict (PyTorch keys; e.g. from senet train --save)
  --model NAME               the model, when the file does not record it (a PyTorch state dict);
                             default: the file's, else senet
  --data DIR|FILE|synthetic  as for senet train (default ./data); of an image folder, the images of
                             val/, else those --val-fraction and --split-seed hold out (pass the
                             values training had; --val-fraction 1: every image)
  --limit N                  only the first N test records
  --batch-size N             default 256
  --threads N                default: one per core
  --tta                      also score flip test-time augmentation (the mean of the logits of each image
                             and its mirror)
  --output preds.json        write accuracy, perClass, confusion and every prediction with its logits
${FOLDER_HELP}
Image folders are resized as the weights record (--image-size and --resize override), and their
class folders are matched to the weights' class names. The model, its widths and the input
normalisation come from the file's metadata too (senet train writes them), so a fast_senet file
from --recipe fast needs no more flags.`;

export const EVAL_OPTIONS = {
  weights: { type: 'string' }, model: { type: 'string' }, data: { type: 'string' }, limit: { type: 'string' }, 'batch-size': { type: 'string' },
  threads: { type: 'string' }, output: { type: 'string' }, tta: { type: 'boolean' }, ...FOLDER_OPTIONS,
} as const;

export async function runEval(v: Record<string, unknown>): Promise<void> {
  if (typeof v.weights !== 'string') throw new UsageError('senet eval needs --weights W.safetensors');
  const limit = v.limit === undefined ? undefined : positiveInt('limit', v.limit);
  const batchSize = positiveInt('batch-size', v['batch-size'], 256);
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads);
  const weights = v.weights;
  const bytes = readFileSync(weights);
  const model = chooseModel(v.model, { bytes, source: weights });
  const recorded = model.recorded;
  const trainer = await createTrainer({ ...trainerModelOptions(model), ...(threads === undefined ? {} : { threads }) });
  try {
    for (const warning of trainer.info.warnings) console.error(`senet-wasm: ${warning}`);
    // The weights first: an image folder is then resized as they record and labelled by their class names.
    await trainer.loadStateDict(bytes, weights);
    const { classes } = await loadDataFromFlags(trainer, v, limit, {
      testOnly: true,
      folder: {
        ...(recorded?.imageSize ? { imageSize: recorded.imageSize[0] } : {}),
        ...(recorded?.resize ? { resize: recorded.resize } : {}),
        ...(recorded?.classes ? { classes: recorded.classes } : {}),
      },
    });
    const result = await trainer.evaluate({ batchSize, keepPredictions: v.output !== undefined, tta: Boolean(v.tta) }).catch((error: unknown) => {
      throw withBatchSizeAdvice(error, batchSize);
    });
    console.log(`test loss ${result.loss.toFixed(4)}, accuracy ${(100 * result.accuracy).toFixed(2)}% (${result.count} images)`);
    if (result.tta) console.log(`with flip TTA: test loss ${result.tta.loss.toFixed(4)}, accuracy ${(100 * result.tta.accuracy).toFixed(2)}%`);
    result.perClass.forEach((acc, i) => console.log(`  ${classes[i]!.padEnd(12)} ${(100 * acc).toFixed(1)}%`));
    console.log('confusion (rows: true class, columns: predicted):');
    for (const row of result.confusion) console.log('  ' + row.map((n) => String(n).padStart(5)).join(''));
    if (typeof v.output === 'string') {
      const { accuracy, count, perClass, confusion, predictions, tta } = result;
      writeFileSync(v.output, JSON.stringify({ accuracy, count, perClass, confusion, ...(tta ? { tta } : {}), predictions }) + '\n');
      console.error(`predictions written to ${v.output}`);
    }
  } finally {
    await trainer.close();
  }
}
