// Content coding negotiation (RFC 9110 §12.5.3 Accept-Encoding with q-values) and
// compression of bodies with node:zlib (br, gzip).
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants, createBrotliCompress, createGzip, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import type { Transform } from 'node:stream';

export type Coding = 'br' | 'gzip';

function parseAccept(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    if (!Number.isNaN(q)) out.set(name.toLowerCase(), q);
  }
  return out;
}

export type CodingNegotiator = (header: string | undefined, available: readonly Coding[]) => Coding | undefined;

/**
 * A negotiator with its own bounded memo of parsed headers (clients send few distinct
 * Accept-Encoding values). Returns the best of `available` the client accepts (br preferred
 * on ties), or undefined for identity.
 */
export function codingNegotiator(memoSize = 256): CodingNegotiator {
  const memo = new Map<string, Map<string, number>>();
  return (header, available) => {
    if (!header || available.length === 0) return undefined;
    let accepted = memo.get(header);
    if (!accepted) {
      if (memo.size >= memoSize) memo.clear();
      memo.set(header, (accepted = parseAccept(header)));
    }
    return pick(accepted, available);
  };
}

function pick(accepted: Map<string, number>, available: readonly Coding[]): Coding | undefined {
  let best: Coding | undefined;
  let bestQ = 0;
  for (const c of available) {
    const q = accepted.get(c) ?? accepted.get('*') ?? 0;
    if (q > bestQ) {
      best = c;
      bestQ = q;
    }
  }
  return best;
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Compress a whole body once (results are cached, so spend a bit more CPU for size). */
export function compressBuffer(body: Buffer, coding: Coding): Promise<Buffer> {
  if (coding === 'br') {
    const opts: BrotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } };
    return brotliAsync(body, opts);
  }
  const opts: ZlibOptions = { level: 6 };
  return gzipAsync(body, opts);
}

/** A streaming compressor for large files (lower brotli quality: it runs per request). */
export function compressStream(coding: Coding): Transform {
  return coding === 'br' ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }) : createGzip({ level: 6 });
}
