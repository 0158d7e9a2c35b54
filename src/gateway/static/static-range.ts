// Byte ranges (RFC 9110 §14): parse `Range`, honour `If-Range`, build single and
// multipart/byteranges bodies without loading the file when it is not cached.
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import parseRange from 'range-parser';

export interface ByteRange {
  start: number;
  end: number;
}

export type RangeVerdict = { kind: 'none' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: ByteRange[] };

/** Most ranges served in one response; more is ignored (full 200) as an abuse guard. */
export const MAX_RANGES = 32;

export function evaluateRange(header: string | undefined, size: number): RangeVerdict {
  if (!header) return { kind: 'none' };
  const r = parseRange(size, header, { combine: true });
  if (r === -2) return { kind: 'none' }; // malformed: ignore, as RFC 9110 allows
  if (r === -1) return { kind: 'unsatisfiable' };
  if (r.type !== 'bytes' || r.length === 0) return { kind: 'none' };
  if (r.length > MAX_RANGES) return { kind: 'none' };
  return { kind: 'ranges', ranges: r.map((x) => ({ start: x.start, end: x.end })) };
}

/** `If-Range` holds: a strong ETag match or an exact Last-Modified date. */
export function ifRangeMatches(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (!ifRange) return true;
  const v = ifRange.trim();
  if (v.startsWith('"')) return v === etag;
  if (v.startsWith('W/')) return false;
  return v === lastModified;
}

export interface Multipart {
  boundary: string;
  length: number;
  body: Readable;
}

/** A multipart/byteranges body over `source` (a cached buffer or a file path). */
export function multipartBody(source: Buffer | string, ranges: ByteRange[], size: number, type: string): Multipart {
  const boundary = randomBytes(12).toString('hex');
  const heads = ranges.map(
    (r, i) => `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  let length = Buffer.byteLength(tail);
  ranges.forEach((r, i) => (length += Buffer.byteLength(heads[i]) + r.end - r.start + 1));
  async function* parts(): AsyncGenerator<Buffer> {
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      yield Buffer.from(heads[i]);
      if (typeof source !== 'string') yield source.subarray(r.start, r.end + 1);
      else for await (const chunk of createReadStream(source, { start: r.start, end: r.end })) yield chunk as Buffer;
    }
    yield Buffer.from(tail);
  }
  return { boundary, length, body: Readable.from(parts(), { objectMode: false }) };
}
