/** Reads the page's form: where the data comes from and how to train. */
import {
  AUGMENTS, FAST_MODEL, FAST_RECIPE, MODELS, OPTIMIZERS, type Augment, type DataSource, type FitRequest, type FolderFile, type OptimizerName,
} from 'senet-wasm';

export interface Setup {
  source: DataSource;
  /** Equal for the same choice of data, so it is read only once. */
  dataKey: string;
  request: FitRequest & { epochs: number };
  /** The batch size the run trains with (the recipe's, or the form's). */
  batchSize: number;
}

/** Fills the model, optimizer and augmentation menus from the package's lists. */
export function fillMenus(form: HTMLFormElement): void {
  const fill = (select: HTMLSelectElement, values: readonly string[], label = (value: string) => value) =>
    select.replaceChildren(...values.map((value) => new Option(label(value), value)));
  const parameters = new Map(MODELS.map((m) => [m.name, m.parameters]));
  fill(modelMenu(form), MODELS.map((m) => m.name), (name) => `${name} (${parameters.get(name)!.toLocaleString('en')} parameters)`);
  fill(form.elements.namedItem('optimizer') as HTMLSelectElement, OPTIMIZERS);
  fill(form.elements.namedItem('augment') as HTMLSelectElement, AUGMENTS);
}

/** The recipe menu: 'seed' (the form's settings) or 'fast'. */
export function recipeMenu(form: HTMLFormElement): HTMLSelectElement {
  return form.elements.namedItem('recipe') as HTMLSelectElement;
}

/** The data sources that are CIFAR-10. */
const CIFAR_SOURCES = ['archive', 'files'];

/** The fields the fast recipe sets itself. */
const RECIPE_FIELDS = ['model', 'epochs', 'batchSize', 'lr', 'optimizer', 'augment'];

/**
 * Shows the chosen recipe in the form: with 'fast' the model is fast_senet and the settings the
 * recipe makes are disabled. `source` (a change of data source) first makes CIFAR-10 (the
 * archive or the batch files) default to the fast recipe and any other source to the seed one.
 */
export function applyRecipe(form: HTMLFormElement, source?: string): void {
  if (source !== undefined) recipeMenu(form).value = CIFAR_SOURCES.includes(source) ? 'fast' : 'seed';
  const fast = recipeMenu(form).value === 'fast';
  if (fast) modelMenu(form).value = FAST_MODEL;
  for (const name of RECIPE_FIELDS) (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).disabled = fast;
}

/** The model menu (a registry name). */
export function modelMenu(form: HTMLFormElement): HTMLSelectElement {
  return form.elements.namedItem('model') as HTMLSelectElement;
}

function input(form: HTMLFormElement, name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}

/** A positive integer from a number field; undefined when the field is empty and optional. */
function integer(form: HTMLFormElement, name: string, label: string, optional = false): number | undefined {
  const text = input(form, name).value.trim();
  if (text === '' && optional) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${label} must be a whole number of at least 1, not '${text}'`);
  return value;
}

const fileKey = (file: File) => `${file.name}:${file.size}:${file.lastModified}`;

/** A folder dropped onto the page: its name, its files by path, and its folders (an empty class folder has no files). */
export interface DroppedFolder {
  name: string;
  files: FolderFile[];
  folders: string[];
}
let dropped: DroppedFolder | undefined;
let droppedCount = 0;

/** Makes `folder` the folder to train on (until another is dropped or picked). */
export function useDroppedFolder(form: HTMLFormElement, folder: DroppedFolder): void {
  dropped = folder;
  droppedCount++;
  input(form, 'folder').value = '';
  (form.querySelector('input[name=source][value=folder]') as HTMLInputElement).checked = true;
}

/** Forgets a dropped folder (a folder was picked instead). */
export function forgetDroppedFolder(): void {
  dropped = undefined;
}

/** The data choice alone (also for evaluating loaded weights before any training). */
export function readDataSource(form: HTMLFormElement): { source: DataSource; dataKey: string } {
  const limit = integer(form, 'limit', 'The record limit', true);
  const limited = limit === undefined ? {} : { limit };
  const kind = (form.elements.namedItem('source') as RadioNodeList).value;
  switch (kind) {
    case 'synthetic': {
      const train = integer(form, 'syntheticTrain', 'The number of synthetic training images')!;
      const test = integer(form, 'syntheticTest', 'The number of synthetic test images')!;
      return { source: { kind, train, test, ...limited }, dataKey: `synthetic:${train}:${test}:${limit}` };
    }
    case 'archive': {
      const archive = input(form, 'archive').files?.[0];
      if (!archive) throw new Error('Choose cifar-10-binary.tar.gz first');
      return { source: { kind, archive, ...limited }, dataKey: `archive:${fileKey(archive)}:${limit}` };
    }
    case 'files': {
      const files = [...(input(form, 'files').files ?? [])];
      if (files.length === 0) throw new Error('Choose the CIFAR-10 batch files first (data_batch_1.bin ... test_batch.bin)');
      return { source: { kind, files, ...limited }, dataKey: `files:${files.map(fileKey).join(',')}:${limit}` };
    }
    case 'folder': {
      if (dropped) {
        const { name, files, folders } = dropped;
        return { source: { kind, name, files, folders, ...limited }, dataKey: `dropped:${droppedCount}:${limit}` };
      }
      const picked = [...(input(form, 'folder').files ?? [])];
      if (picked.length === 0) throw new Error('Choose a folder of class folders first (or drop one onto the page)');
      // The directory picker's paths start with the picked folder's own name.
      const files = picked.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
      return { source: { kind, files, ...limited }, dataKey: `folder:${picked.map(fileKey).join(',')}:${limit}` };
    }
    default:
      throw new Error(`unknown data source '${kind}'`);
  }
}

export function readSetup(form: HTMLFormElement): Setup {
  if (recipeMenu(form).value === 'fast') {
    return { ...readDataSource(form), request: { recipe: 'fast', epochs: FAST_RECIPE.epochs }, batchSize: FAST_RECIPE.batchSize };
  }
  const lr = Number(input(form, 'lr').value);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`The learning rate must be a positive number, not '${input(form, 'lr').value}'`);
  const batchSize = integer(form, 'batchSize', 'The batch size')!;
  return {
    ...readDataSource(form),
    batchSize,
    request: {
      epochs: integer(form, 'epochs', 'Epochs')!,
      batchSize,
      lr,
      optimizer: (form.elements.namedItem('optimizer') as HTMLSelectElement).value as OptimizerName,
      augment: (form.elements.namedItem('augment') as HTMLSelectElement).value as Augment,
    },
  };
}

