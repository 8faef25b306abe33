/** `senet models`: the registry's names with their parameter counts. */
import { MODELS } from '../nn/models/index.js';

export const MODELS_HELP = `senet models: the models senet train, eval and predict can build (--model NAME)`;
export const MODELS_OPTIONS = {} as const;

export function modelTable(): string {
  const width = Math.max(...MODELS.map((m) => m.name.length));
  return MODELS.map((m) => `${m.name.padEnd(width)}  ${m.parameters.toLocaleString('en').padStart(9)} parameters  ${m.description}`).join('\n');
}

export async function runModels(): Promise<void> {
  console.log(modelTable());
}
