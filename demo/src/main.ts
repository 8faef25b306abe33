/**
 * The demo page: trains a model of the registry (the seed SENet by default) through `createTrainer`, whose engine, model and
 * data live in a Web Worker (and its thread pool in more workers). This thread only reads the
 * form, draws progress and shows results, so the page stays responsive while training runs.
 *
 * `?threads=N` asks for N kernel threads (default: one per core).
 *
 * Data can also be a folder of the user's own images (one folder per class), picked with the
 * directory picker or dropped onto the page; an image picked or dropped after training is
 * classified with its top classes.
 */
import {
  createTrainer, decodeImageBlob, formatDuration, resizeImage, stateDictMetadata, type DataInfo, type EpochUpdate, type Evaluation,
  type TrainerClient,
} from 'senet-wasm';
import { TrainingCharts } from './charts';
import { renderConfusion } from './confusion';
import { renderEngineInfo } from './engine-info';
import { imageCanvas, renderGallery } from './gallery';
import { droppedItems } from './drop';
import {
  applyRecipe, fillMenus, forgetDroppedFolder, modelMenu, readDataSource, readSetup, recipeMenu, useDroppedFolder, type Setup,
} from './setup';

/** Test images evaluated after a cancelled run or after loading weights (the full set can take a while). */
const EVALUATION_LIMIT = 2000;
const GALLERY_SIZE = 32;

function element<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

const ui = {
  form: element<HTMLFormElement>('#setup'),
  features: element('#features'),
  notice: element('#notice'),
  train: element<HTMLButtonElement>('#train'),
  cancel: element<HTMLButtonElement>('#cancel'),
  status: element('#status'),
  speed: element('#speed'),
  summary: element('#summary'),
  gallery: element('#gallery'),
  confusion: element('#confusion'),
  more: element<HTMLButtonElement>('#more'),
  download: element<HTMLButtonElement>('#download'),
  weights: element<HTMLInputElement>('#weights'),
  classify: element<HTMLInputElement>('#classify'),
  classification: element('#classification'),
  dropTarget: element('#drop-target'),
  dropped: element('#dropped'),
  dataDetails: element('#data-details'),
};

type State = 'starting' | 'ready' | 'loading' | 'training' | 'evaluating' | 'done' | 'cancelled' | 'error';
const BUSY: State[] = ['starting', 'loading', 'training', 'evaluating'];

let trainer: TrainerClient | undefined;
let data: { key: string; info: DataInfo } | undefined;
/** Whether the model holds weights worth showing (trained or loaded). */
let haveWeights = false;
let epochsTrained = 0;
/** The current trainer's class count (its model's classifier). */
let trainerClasses = 10;
const charts = new TrainingCharts(element('#loss-chart'), element('#accuracy-chart'), element('#time-chart'));

/** The page's state, also on <body data-state> (the end-to-end test waits on it). */
function setState(state: State): void {
  document.body.dataset.state = state;
  const busy = BUSY.includes(state);
  for (const fieldset of ui.form.querySelectorAll('fieldset')) fieldset.disabled = busy;
  ui.train.disabled = busy || !trainer;
  ui.cancel.disabled = state !== 'training';
  ui.weights.disabled = busy || !trainer;
  ui.more.disabled = busy || !haveWeights || !data;
  ui.download.disabled = busy || !haveWeights;
  ui.classify.disabled = busy || !haveWeights;
}

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', kind === 'error');
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

function ready(): TrainerClient {
  if (!trainer) throw new Error('the engine has not started');
  return trainer;
}

/** Reads the chosen data set in the worker, unless it is the one already loaded. */
async function loadData(choice: { source: Setup['source']; dataKey: string }): Promise<DataInfo> {
  if (data?.key === choice.dataKey) return data.info;
  setState('loading');
  const kind = choice.source.kind;
  say(kind === 'synthetic' ? 'Generating the synthetic set...' : kind === 'folder' ? 'Reading the images (in workers)...' : 'Reading CIFAR-10 (in the worker)...');
  data = undefined;
  ui.dataDetails.textContent = '';
  const info = await ready().loadData(choice.source, {
    onProgress: (done, total) => say(`Decoding images (in workers): ${done} of ${total}...`),
  });
  data = { key: choice.dataKey, info };
  trainerClasses = info.classes.length;
  ui.dataDetails.textContent = info.details.join('. ');
  renderEngineInfo(ui.features, ui.notice, ready().info); // the parameters follow the data's class count
  return info;
}

/** The `?threads=N` the page was opened with, for every trainer it starts. */
function threadOption(): { threads?: number } {
  const threads = new URLSearchParams(location.search).get('threads');
  return threads === null ? {} : { threads: Number(threads) };
}

/**
 * Makes `name` the model: a fresh trainer (new weights, no data loaded) when it differs from the
 * current one, or when weights of `numClasses` classes are to be loaded into a model of another count.
 */
async function useModel(name: string, numClasses?: number): Promise<void> {
  modelMenu(ui.form).value = name;
  if (trainer?.info.model === name && (numClasses === undefined || numClasses === trainerClasses)) return;
  setState('starting');
  say(`Building ${name}...`);
  const previous = trainer;
  trainer = undefined;
  data = undefined;
  haveWeights = false;
  epochsTrained = 0;
  await previous?.close();
  trainer = await createTrainer({ model: name, ...(numClasses === undefined ? {} : { numClasses }), ...threadOption() });
  trainerClasses = numClasses ?? 10;
  renderEngineInfo(ui.features, ui.notice, trainer.info);
}

async function train(): Promise<void> {
  await useModel(modelMenu(ui.form).value);
  const setup = readSetup(ui.form);
  const info = await loadData(setup);
  const { request: { epochs }, batchSize } = setup;
  const fast = setup.request.recipe === 'fast';
  setState('training');
  say(`Training ${fast ? 'with the fast recipe ' : ''}on ${info.source}: ${info.train} images, ${epochs} epoch${epochs === 1 ? '' : 's'} of ` +
    `${(fast ? Math.floor : Math.ceil)(info.train / batchSize)} batches...`);
  charts.startRun();
  let last: EpochUpdate | undefined;
  const summary = await ready().fit(setup.request, {
    onBatch: (r) => {
      charts.addBatch(r);
      const runEta = r.etaSeconds + ((epochs - r.epoch) * info.train) / r.imagesPerSecond;
      say(`Epoch ${r.epoch}/${epochs}, batch ${r.batch}/${r.batches}: loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)}` +
        (r.batch === r.batches ? ' (evaluating on the test set...)' : ''));
      showSpeed(r.imagesPerSecond, `ETA ${formatDuration(r.etaSeconds)} for this epoch, ${formatDuration(runEta)} for the run`);
    },
    onEpoch: (r) => {
      last = r;
      epochsTrained++;
      haveWeights = true;
      charts.addEpoch(r);
      showSpeed(r.imagesPerSecond, `epoch ${r.epoch} took ${formatDuration(r.seconds)}`);
      if (r.test) {
        const tta = r.test.tta ? ` (with flip TTA ${percent(r.test.tta.accuracy)})` : '';
        say(`Epoch ${r.epoch}/${epochs}: training accuracy ${percent(r.trainAccuracy)}, test accuracy ${percent(r.test.accuracy)}${tta} ` +
          `after ${r.elapsedSeconds.toFixed(1)} s of training`);
      }
    },
  });
  const cancelled = summary.reason === 'cancelled';
  if (summary.progress.step > 0) haveWeights = true;
  if (!haveWeights) {
    setState('cancelled');
    say('Cancelled before the first batch finished.');
    return;
  }
  let evaluation = last?.test;
  let what = `Test set after epoch ${last?.epoch ?? 0}`;
  if (cancelled || !evaluation) {
    setState('evaluating');
    say(`${cancelled ? 'Cancelled' : 'Trained'}; evaluating on the test set...`);
    evaluation = await ready().evaluate({ limit: EVALUATION_LIMIT });
    what = `Test set after ${summary.progress.step} steps${cancelled ? ' (cancelled)' : ''}`;
  }
  await showResults(evaluation, what);
  say(`${cancelled ? 'Cancelled' : 'Done'}: test accuracy ${percent(evaluation.accuracy)} on ${evaluation.count} images.`);
  setState(cancelled ? 'cancelled' : 'done');
}

/** The images/s figure, also on #speed[data-images-per-second]. */
function showSpeed(imagesPerSecond: number, rest: string): void {
  ui.speed.textContent = `${imagesPerSecond.toFixed(1)} images/s; ${rest}`;
  ui.speed.dataset.imagesPerSecond = String(imagesPerSecond);
}

async function showResults(evaluation: Evaluation, what: string): Promise<void> {
  const info = data?.info;
  if (!info) return;
  ui.summary.textContent = `${what}: accuracy ${percent(evaluation.accuracy)}, loss ${evaluation.loss.toFixed(4)} (${evaluation.count} images).`;
  ui.summary.dataset.accuracy = String(evaluation.accuracy);
  ui.summary.dataset.loss = String(evaluation.loss);
  renderConfusion(ui.confusion, evaluation, info.classes, what);
  await showGallery(0);
}

/** Predicts GALLERY_SIZE test images from `start` and shows them. */
async function showGallery(start: number): Promise<void> {
  const images = await ready().testImages(start, GALLERY_SIZE);
  if (images.labels.length === 0) return;
  const prediction = await ready().predict(images.images, images.labels.length);
  renderGallery(ui.gallery, start, images, prediction);
}

async function downloadWeights(): Promise<void> {
  const bytes = await ready().stateDict();
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  const source = data?.info.source.replace(/[^\w.-]+/g, '-') ?? 'data';
  link.download = `${ready().info.model}-${source}-${epochsTrained}-epochs.safetensors`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function loadWeights(file: File): Promise<void> {
  setState('loading');
  say(`Loading ${file.name}...`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  // A file that records its model (ours do) switches the page to it; a PyTorch one is for the chosen model.
  const recorded = stateDictMetadata(bytes, file.name);
  await useModel(recorded?.model ?? modelMenu(ui.form).value, recorded?.modelOptions.numClasses);
  await ready().loadStateDict(bytes, file.name);
  haveWeights = true;
  await loadData(readDataSource(ui.form));
  setState('evaluating');
  say(`Loaded ${file.name}; evaluating on the test set...`);
  const evaluation = await ready().evaluate({ limit: EVALUATION_LIMIT });
  await showResults(evaluation, `Test set with ${file.name}`);
  say(`Loaded ${file.name}: test accuracy ${percent(evaluation.accuracy)} on ${evaluation.count} images.`);
  setState('done');
}

/** Classifies one image with the current weights: decoded in this page, resized as the training images were. */
async function classify(file: File): Promise<void> {
  const trainer = ready();
  const [{ size: [height, width], resize }, image] = await Promise.all([trainer.inputSize(), decodeImageBlob(file, file.name)]);
  const pixels = resizeImage(image, height, resize);
  const { probabilities } = await trainer.predict(pixels, 1);
  const classes = data?.info.classes ?? [];
  const top = probabilities[0]!.map((p, c) => ({ name: classes[c] ?? `class ${c}`, p })).sort((a, b) => b.p - a.p).slice(0, 3);
  const list = document.createElement('ol');
  list.replaceChildren(...top.map(({ name, p }) => Object.assign(document.createElement('li'), { textContent: `${name} ${percent(p)}` })));
  const caption = Object.assign(document.createElement('div'), { textContent: `${file.name}:` });
  ui.classification.replaceChildren(imageCanvas(pixels, [3, height, width]), caption, list);
  ui.classification.dataset.top = JSON.stringify(top.map(({ name }) => name));
  say(`${file.name}: ${top.map(({ name, p }) => `${name} ${percent(p)}`).join(', ')}`);
}

/** What was dropped onto the page: a folder becomes the data to train on, an image is classified. */
async function onDrop(transfer: DataTransfer): Promise<void> {
  const dropped = await droppedItems(transfer);
  if (dropped.kind === 'folder') {
    useDroppedFolder(ui.form, dropped.folder);
    ui.dropped.textContent = `Dropped: ${dropped.folder.name} (${dropped.folder.files.length} files).`;
    say(`Dropped the folder ${dropped.folder.name}: press Train to train on it.`);
  } else if (dropped.kind === 'file') {
    if (!haveWeights) throw new Error('Train (or load weights) before classifying an image, or drop a folder to train on');
    await classify(dropped.file);
  }
}

/** Runs a user action; a failure is shown on the page, never thrown away. */
async function act(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    console.error(error);
    say(error instanceof Error ? error.message : String(error), 'error');
    setState('error');
  }
}

async function start(): Promise<void> {
  fillMenus(ui.form);
  applyRecipe(ui.form, (ui.form.elements.namedItem('source') as RadioNodeList).value);
  setState('starting');
  await useModel(modelMenu(ui.form).value);
  say('Ready: choose the data and press Train.');
  setState('ready');
}

// CIFAR-10 makes the fast recipe the default, the synthetic set the seed one.
for (const radio of ui.form.querySelectorAll<HTMLInputElement>('input[name=source]')) {
  radio.addEventListener('change', () => applyRecipe(ui.form, radio.value));
}
recipeMenu(ui.form).addEventListener('change', () => applyRecipe(ui.form));

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void act(train);
});
ui.cancel.addEventListener('click', () => {
  ui.cancel.disabled = true;
  say('Cancelling after this batch...');
  void act(() => ready().cancel());
});
ui.more.addEventListener('click', () => {
  const count = data?.info.test ?? 0;
  const state = document.body.dataset.state as State;
  void act(async () => {
    setState('evaluating');
    await showGallery(Math.floor(Math.random() * Math.max(1, count - GALLERY_SIZE)));
    setState(state);
  });
});
ui.download.addEventListener('click', () => void act(downloadWeights));
ui.classify.addEventListener('change', () => {
  const file = ui.classify.files?.[0];
  ui.classify.value = '';
  if (file) void act(() => classify(file));
});
(ui.form.elements.namedItem('folder') as HTMLInputElement).addEventListener('change', () => {
  forgetDroppedFolder();
  ui.dropped.textContent = '';
  (ui.form.querySelector('input[name=source][value=folder]') as HTMLInputElement).checked = true;
});
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.dropTarget.hidden = false;
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) ui.dropTarget.hidden = true;
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.dropTarget.hidden = true;
  const transfer = event.dataTransfer;
  if (!transfer || BUSY.includes(document.body.dataset.state as State)) return;
  void act(() => onDrop(transfer));
});
ui.weights.addEventListener('change', () => {
  const file = ui.weights.files?.[0];
  ui.weights.value = '';
  if (file) void act(() => loadWeights(file));
});

void act(start);
