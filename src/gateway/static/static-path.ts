// Maps a URL path to a file under a site root without ever leaving it: rejects encoded,
// double-encoded, backslash and NUL traversal, and dotfiles unless allowed (RFC 3986 paths).
import { join, resolve, sep } from 'node:path';

export type PathVerdict =
  | { ok: true; segments: string[]; file: string; trailingSlash: boolean }
  | { ok: false; reason: 'malformed' | 'traversal' | 'dotfile' };

const ENCODED_DANGER = /%(?:2e|2f|5c|00)/i;

/**
 * Resolves `urlPath` (raw, still percent-encoded, without query) under `root`.
 * `allowDotfiles` lists dot-names allowed as path segments (e.g. `.well-known`); `'*'` allows all.
 */
export function resolveSitePath(root: string, urlPath: string, allowDotfiles: readonly string[]): PathVerdict {
  if (urlPath.includes('\\') || /%5c/i.test(urlPath)) return { ok: false, reason: 'traversal' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (decoded.includes('\0')) return { ok: false, reason: 'traversal' };
  // A second decoding layer would turn `%2e%2e` into `..`: refuse it rather than guess
  // what a downstream component might do with it.
  if (ENCODED_DANGER.test(decoded)) return { ok: false, reason: 'traversal' };
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') return { ok: false, reason: 'traversal' };
    if (part.startsWith('.') && !allowDotfiles.includes('*') && !allowDotfiles.includes(part)) {
      return { ok: false, reason: 'dotfile' };
    }
    segments.push(part);
  }
  const file = resolve(join(root, ...segments));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return { ok: false, reason: 'traversal' };
  return { ok: true, segments, file, trailingSlash: decoded.endsWith('/') };
}

/** True when `real` (a realpath) is `realRoot` or inside it: symlinks pointing out are refused. */
export function insideRoot(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}
