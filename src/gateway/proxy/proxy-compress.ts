// On-the-fly br/gzip of proxied and cached responses (RFC 9110 §8.4 Content-Encoding,
// §12.5.3 Accept-Encoding; RFC 9111 §5.2.2.6 no-transform is honoured).
import { pipeline, type Readable } from 'node:stream';
import { isCompressible } from '../static/static-file-cache.js';
import { codingNegotiator, compressBuffer, compressStream, type Coding } from '../static/static-encoding.js';
import type { HeaderBag } from './header-rules.js';

export interface CompressOptions {
  /** Smallest body compressed (when the length is known). Default 1024. */
  threshold?: number;
  encodings?: Coding[];
}

export interface Compressor {
  /** The coding to apply to this response, or undefined to send it as is. */
  choose(method: string, reqHeaders: HeaderBag, status: number, resHeaders: HeaderBag, length?: number): Coding | undefined;
  /** Rewrites headers for `coding` (Content-Encoding, Vary, weak ETag, no Content-Length). */
  headers(resHeaders: HeaderBag, coding: Coding): HeaderBag;
  stream(body: Readable, coding: Coding): Readable;
  buffer(body: Buffer, coding: Coding): Promise<Buffer>;
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);

export function createCompressor(o: CompressOptions = {}): Compressor {
  const threshold = o.threshold ?? 1024;
  const encodings = o.encodings ?? ['br', 'gzip'];
  const negotiate = codingNegotiator();
  return {
    choose(method, req, status, res, length) {
      if (method === 'HEAD' || status < 200 || status === 204 || status === 206 || status === 304) return undefined;
      if (res['content-encoding'] !== undefined || res['content-range'] !== undefined) return undefined;
      if (/no-transform/i.test(one(res['cache-control']) ?? '')) return undefined;
      const type = one(res['content-type']);
      if (!type || !isCompressible(type)) return undefined;
      const len = length ?? (res['content-length'] !== undefined ? Number(res['content-length']) : undefined);
      if (len !== undefined && len < threshold) return undefined;
      return negotiate(one(req['accept-encoding']), encodings);
    },
    headers(res, coding) {
      const out = { ...res };
      delete out['content-length'];
      out['content-encoding'] = coding;
      const vary = one(out.vary);
      if (!vary) out.vary = 'Accept-Encoding';
      else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) out.vary = `${vary}, Accept-Encoding`;
      const etag = one(out.etag);
      if (etag && !etag.startsWith('W/')) out.etag = `W/${etag}`;
      return out;
    },
    stream(body, coding) {
      // pipeline, not pipe: a client that goes away must also release the upstream body.
      const z = compressStream(coding);
      pipeline(body, z, () => {});
      return z;
    },
    buffer: compressBuffer,
  };
}
