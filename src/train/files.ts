/** File helpers for Node: atomic writes, so an interrupted save never leaves a broken file. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** Writes `bytes` to a temporary file beside `path`, fsyncs it, then renames it into place. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  // Make the rename itself durable.
  try {
    const dir = openSync(dirname(path), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
