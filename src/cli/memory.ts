/**
 * What `--batch-size` to try when a batch did not fit in WebAssembly memory. The trainer's
 * WasmMemoryError (src/engine/errors.ts) reaches the command from the trainer's worker as a plain
 * Error that keeps only its name and message; this adds the flag to change.
 */
export function withBatchSizeAdvice(error: unknown, batchSize: number): unknown {
  if (!(error instanceof Error) || error.name !== 'WasmMemoryError') return error;
  if (error.message.includes(`batch size ${batchSize} does not fit`)) return error; // already said
  const advice = batchSize > 1
    ? `--batch-size ${batchSize} does not fit with this model: try --batch-size ${Math.floor(batchSize / 2)}, and halve again until it fits`
    : 'not even --batch-size 1 fits with this model';
  const explained = new Error(`${error.message}\n${advice}`);
  explained.name = error.name;
  return explained;
}
