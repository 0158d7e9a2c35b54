// Whether a request body nests deeper than the inspection depth (waf.limits.maxBodyDepth):
// values below that depth are never inspected, so such a body is an anomaly in itself (as
// ModSecurity's body processors fail such bodies: REQBODY_ERROR, rule 200002). One linear
// scan of JSON/XML text without parsing it again; a walk of trees a parser already built.
import { Unpackr } from 'msgpackr';
import { MSGPACK_TYPES } from './body-binary.js';

// as the records API decodes MessagePack (src/formats/msgpack.ts)
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Containers (objects, arrays) nested in a parsed tree, counted until `limit` is passed. */
function treeTooDeep(root: unknown, limit: number): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: root, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (d + 1 > limit) return true;
    for (const c of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) if (c !== null && typeof c === 'object') stack.push({ v: c, d: d + 1 });
  }
  return false;
}

/** Bracket nesting of JSON text, outside strings. */
function jsonTooDeep(t: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < t.length; i++) {
        const s = t.charCodeAt(i);
        if (s === 92 /* \ */) i++;
        else if (s === 34) break;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Element nesting of XML text (`<a>` opens, `</a>` and `<a/>` do not stay open; `<?`, `<!` are not elements). */
function xmlTooDeep(t: string, limit: number): boolean {
  let depth = 0;
  for (let i = t.indexOf('<'); i !== -1; i = t.indexOf('<', i + 1)) {
    const n = t.charCodeAt(i + 1);
    if (n === 47 /* / */) { depth--; continue; }
    if (n === 33 /* ! */ || n === 63 /* ? */) continue;
    const end = t.indexOf('>', i);
    if (end === -1) break;
    if (t.charCodeAt(end - 1) === 47) continue;
    if (++depth > limit) return true;
    i = end;
  }
  return false;
}

/**
 * Whether `body` (a parsed tree, or the raw text/bytes of a JSON, XML or MessagePack
 * body as `mediaType` says) nests more than `limit` levels.
 *
 * @example
 * bodyTooDeep('[[[1]]]', 'application/json', 2) // true
 */
export function bodyTooDeep(body: unknown, mediaType: string, limit: number): boolean {
  if (body === null || body === undefined) return false;
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  if (!raw) return typeof body === 'object' && treeTooDeep(body, limit);
  if (MSGPACK_TYPES.has(mediaType)) {
    try {
      return treeTooDeep(unpackr.unpack(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')), limit);
    } catch (e) {
      // msgpackr recurses per level: hostile nesting overflows the stack
      return e instanceof RangeError;
    }
  }
  const json = mediaType.endsWith('/json') || mediaType.endsWith('+json');
  const xml = mediaType.endsWith('/xml') || mediaType.endsWith('+xml');
  if (!json && !xml) return false;
  const text = typeof body === 'string' ? body : body.toString('latin1');
  return json ? jsonTooDeep(text, limit) : xmlTooDeep(text, limit);
}
