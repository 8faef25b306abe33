/** Argument helpers shared by the commands. A UsageError exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function positiveInt(flag: string, value: unknown, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} needs a positive integer, got '${String(value)}'`);
  return n;
}

export function nonNegativeNumber(flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} needs a number >= 0, got '${String(value)}'`);
  return n;
}

export function oneOf<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${String(value)}'`);
  return value as T;
}
