// Stored file names: `<sanitized-base>_<random>.<ext>`, made by the server from the client's name, so no
// client-chosen byte reaches a storage key (no `..`, `/`, NUL, Unicode tricks) and names never collide.
import { randomBytes } from 'node:crypto';
import { FILE_NAME } from '../../data/index.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function random10(): string {
  const b = randomBytes(10);
  let s = '';
  for (const x of b) s += ALPHABET[x % 36];
  return s;
}

/** The client's base name reduced to `[a-z0-9_-]`, at most 100 characters ('file' when nothing is left). */
export function sanitizeBase(original: string): string {
  const last = original.split(/[\\/]/).pop() ?? '';
  const dot = last.lastIndexOf('.');
  const base = (dot > 0 ? last.slice(0, dot) : last)
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 100);
  return base || 'file';
}

/** The client's extension, lower-case letters and digits only (empty when it has none or a strange one). */
export function extensionOf(original: string): string {
  const last = original.split(/[\\/]/).pop() ?? '';
  const dot = last.lastIndexOf('.');
  const ext = dot > 0 ? last.slice(dot + 1).toLowerCase() : '';
  return /^[a-z0-9]{1,12}$/.test(ext) ? ext : '';
}

/**
 * @example
 * storedName('../../Report 2026.PDF', 'pdf'); // 'report_2026_k3j9x0a1b2.pdf'
 */
export function storedName(original: string, ext: string): string {
  const name = `${sanitizeBase(original)}_${random10()}${ext ? `.${ext}` : ''}`;
  if (!FILE_NAME.test(name)) throw new Error(`stored name ${name} does not match FILE_NAME`);
  return name;
}

/** The blob key of a record's file. */
export function fileKey(collection: string, record: string, name: string): string {
  return `${collection}/${record}/${name}`;
}
