/** What a drop onto the page holds: a folder (its files and folders, read through the entries API) or one file. */
import type { DroppedFolder } from './setup';

export type Dropped = { kind: 'folder'; folder: DroppedFolder } | { kind: 'file'; file: File } | { kind: 'nothing' };

/** Every entry of a folder (readEntries answers in batches until it returns none). */
async function entriesOf(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function readFolder(root: FileSystemDirectoryEntry): Promise<DroppedFolder> {
  const folder: DroppedFolder = { name: root.name, files: [], folders: [] };
  const walk = async (entry: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    for (const child of await entriesOf(entry)) {
      const path = prefix ? `${prefix}/${child.name}` : child.name;
      if (child.isDirectory) {
        folder.folders.push(path);
        await walk(child as FileSystemDirectoryEntry, path);
      } else {
        const file = await new Promise<File>((resolve, reject) => (child as FileSystemFileEntry).file(resolve, reject));
        folder.files.push({ path, file });
      }
    }
  };
  await walk(root, '');
  return folder;
}

export async function droppedItems(transfer: DataTransfer): Promise<Dropped> {
  const item = [...transfer.items].find((i) => i.kind === 'file');
  if (!item) return { kind: 'nothing' };
  const entry = item.webkitGetAsEntry();
  if (entry?.isDirectory) return { kind: 'folder', folder: await readFolder(entry as FileSystemDirectoryEntry) };
  const file = item.getAsFile();
  return file ? { kind: 'file', file } : { kind: 'nothing' };
}
