/**
 * A tar writer for tests: ustar headers (with long names in the ustar prefix, a GNU 'L' member or
 * a pax 'x' member), data padded to 512 bytes, end blocks and record padding as GNU tar writes.
 */
export interface TarInput {
  name: string;
  data?: Uint8Array;
  /** The type flag, '0' by default ('5' for directories). */
  type?: string;
  /** How to store a long name: in the ustar prefix, a GNU 'L' member or a pax 'x' member. */
  longName?: 'prefix' | 'gnu' | 'pax';
}

const ascii = (s: string) => new TextEncoder().encode(s);

function tarHeader(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, at: number) => h.set(ascii(s), at);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(1000, 8), 108);
  put(octal(1000, 8), 116);
  put(octal(size, 12), 124);
  put(octal(1_700_000_000, 12), 136);
  put('        ', 148);
  put(type, 156);
  put('ustar\0', 257);
  put('00', 263);
  put('user', 265);
  put('group', 297);
  put(prefix, 345);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A tar archive with `entries` (end blocks included): what GNU tar or a ustar/pax writer writes. */
export function tar(entries: TarInput[], { endBlocks = 2 } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const member = (name: string, data: Uint8Array, type: string, prefix = '') => {
    parts.push(tarHeader(name, data.length, type, prefix), data, new Uint8Array((512 - (data.length % 512)) % 512));
  };
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const type = e.type ?? '0';
    if (e.longName === 'gnu') {
      member('././@LongLink', ascii(`${e.name}\0`), 'L');
      member(e.name.slice(0, 99), data, type);
    } else if (e.longName === 'pax') {
      const body = ` path=${e.name}\n`;
      let length = body.length;
      while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
      member('PaxHeaders/x', ascii(`${length}${body}`), 'x');
      member(e.name.slice(0, 99), data, type);
    } else if (e.longName === 'prefix') {
      const cut = e.name.lastIndexOf('/');
      member(e.name.slice(cut + 1), data, type, e.name.slice(0, cut));
    } else {
      member(e.name, data, type);
    }
  }
  for (let i = 0; i < endBlocks; i++) parts.push(new Uint8Array(512));
  parts.push(new Uint8Array(512 * 4)); // record padding, as tar writes it
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

