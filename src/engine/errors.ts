/** The one error type for failed operations: names the op and the shapes involved. */
export class OpError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'OpError';
  }
}

/** `[2, 3]` */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
