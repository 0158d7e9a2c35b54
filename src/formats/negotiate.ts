// Proactive content negotiation (RFC 9110 §12.5.1): Accept with q-values and wildcards picks a
// codec for responses; Content-Type picks one for request bodies. 406/415 as problem+json.
import { StrataError } from '../core/index.js';
import type { Collection } from '../data/index.js';
import { mediaTypeOf, type RecordCodec } from './codec.js';

export class NotAcceptableError extends StrataError {
  constructor(offered: string[]) {
    super(406, 'strata/not-acceptable', 'Not Acceptable', `This resource is available as ${offered.join(', ')}.`);
    this.name = 'NotAcceptableError';
  }
}

export class UnsupportedMediaTypeError extends StrataError {
  constructor(accepted: string[]) {
    super(415, 'strata/unsupported-media-type', 'Unsupported Media Type', `Send the body as ${accepted.join(', ')}.`);
    this.name = 'UnsupportedMediaTypeError';
  }
}

interface Range {
  type: string;
  q: number;
}

function parseAccept(header: string): Range[] {
  return header
    .slice(0, 2048)
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const qp = params.find((p) => p.startsWith('q='));
      const q = qp ? Number(qp.slice(2)) : 1;
      return { type, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 };
    })
    .filter((r) => r.type.includes('/'));
}

function matches(range: string, mediaType: string): number {
  if (range === mediaType) return 3;
  if (range === '*/*') return 1;
  if (range.endsWith('/*') && mediaType.startsWith(range.slice(0, -1))) return 2;
  return 0;
}

/** What negotiation reads of a codec (function routes negotiate their own format lists too). */
export type Negotiable = Pick<RecordCodec, 'mediaTypes' | 'generic' | 'supports'>;

/** The codec to answer with; JSON when there is no Accept header. */
export function chooseResponseCodec<C extends Negotiable>(accept: string | undefined, codecs: readonly C[], c?: Collection): C {
  const usable = codecs.filter((k) => (c ? k.supports(c) : k.generic));
  if (!accept || accept.trim() === '') return usable[0];
  const ranges = parseAccept(accept);
  let best: { codec: C; q: number; spec: number; order: number } | undefined;
  usable.forEach((codec, order) => {
    for (const mt of codec.mediaTypes) {
      // the most specific matching range decides the quality of this media type
      let spec = 0;
      let q = 0;
      for (const r of ranges) {
        const s = matches(r.type, mt);
        if (s > spec) {
          spec = s;
          q = r.q;
        }
      }
      if (spec > 0 && q > 0 && (!best || q > best.q || (q === best.q && spec > best.spec))) best = { codec, q, spec, order };
    }
  });
  if (!best) throw new NotAcceptableError(usable.map((k) => k.mediaTypes[0]));
  return best.codec;
}

/** The codec that reads this Content-Type. */
export function chooseRequestCodec(contentType: string | undefined, codecs: readonly RecordCodec[], c?: Collection): RecordCodec {
  const usable = codecs.filter((k) => (c ? k.supports(c) : k.generic));
  const mt = mediaTypeOf(contentType);
  const codec = usable.find((k) => k.mediaTypes.includes(mt));
  if (!codec) throw new UnsupportedMediaTypeError(usable.map((k) => k.mediaTypes[0]));
  return codec;
}
