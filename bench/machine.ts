/** What a benchmark ran on, stored beside its results. */
import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  v8: string;
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    node: process.version,
    v8: process.versions.v8,
  };
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints a markdown table. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const lines = [header, header.map(() => '---'), ...rows.map((r) => r.map(String))];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** src/ files whose dist/ build is missing or older (for the benchmarks that run dist/, where createTrainer's workers live). */
export function staleDist(): string[] {
  const stale: string[] = [];
  for (const entry of readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]) {
    if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
    const built = join(ROOT, 'dist', entry.replace(/\.ts$/, '.js'));
    let builtTime: number;
    try {
      builtTime = statSync(built).mtimeMs;
    } catch {
      stale.push(`dist/${entry.replace(/\.ts$/, '.js')} (missing)`);
      continue;
    }
    if (statSync(join(ROOT, 'src', entry)).mtimeMs > builtTime) stale.push(`dist/${entry.replace(/\.ts$/, '.js')}`);
  }
  return stale;
}
