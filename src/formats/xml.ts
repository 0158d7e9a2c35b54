// application/xml (XML 1.0) via fast-xml-parser. No DTDs at all: a DOCTYPE or ENTITY declaration
// is refused before parsing (no external entities, no expansion bombs); only predefined entities are decoded.
// Shape: <record><title>..</title><tags><item>id</item></tags><reviewer nil="true"/></record>.
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { ValidationError } from '../core/index.js';
import type { Collection, Field, ListResult, RecordData } from '../data/index.js';
import type { RecordCodec } from './codec.js';
import { MEDIA_TYPES } from './media-types.js';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: false, suppressEmptyNode: false, suppressBooleanAttributes: false, processEntities: true });
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true, // only the predefined XML entities and character references: DTDs are refused first
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
  isArray: (name, jpath) => name === 'item' && String(jpath).split('.').length === 3,
});
const MAX_DEPTH = 16;

type XmlNode = Record<string, unknown>;

function toXmlValue(v: unknown, depth: number): unknown {
  if (v === null || v === undefined) return { '@nil': 'true' };
  if (Array.isArray(v)) return { item: v.map((x) => toXmlValue(x, depth + 1)) };
  if (typeof v === 'object') {
    if (depth > MAX_DEPTH) return JSON.stringify(v);
    const out: XmlNode = {};
    for (const [k, x] of Object.entries(v)) out[/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : '_'] = toXmlValue(x, depth + 1);
    return out;
  }
  return String(v);
}

function recordNode(c: Collection, rec: RecordData): XmlNode {
  const out: XmlNode = {};
  for (const [k, v] of Object.entries(rec)) {
    const f = c.fields.find((x) => x.name === k);
    if (f?.type === 'json') out[k] = v === null ? { '@nil': 'true' } : JSON.stringify(v);
    else if (k === 'expand' && v && typeof v === 'object') {
      const ex: XmlNode = {};
      for (const [name, val] of Object.entries(v)) ex[name] = Array.isArray(val) ? { item: val.map((x) => toXmlValue(x, 2)) } : toXmlValue(val, 2);
      out.expand = ex;
    } else out[k] = toXmlValue(v, 1);
  }
  return out;
}

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

function bad(message: string): never {
  throw new ValidationError(`The body is not acceptable XML: ${message}.`, [{ field: '', message }]);
}

function text(f: Field, node: unknown): unknown {
  if (typeof node === 'object' && node !== null) {
    const n = node as XmlNode;
    if (n['@nil'] === 'true') return null;
    if ('#text' in n) node = n['#text'];
    else if (Object.keys(n).every((k) => k.startsWith('@'))) node = '';
    else bad(`<${f.name}> must hold text`);
  }
  const s = String(node ?? '');
  switch (f.type) {
    case 'number':
    case 'integer':
      return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : s;
    case 'boolean':
      return s === 'true' ? true : s === 'false' ? false : s;
    case 'json':
      try {
        return JSON.parse(s);
      } catch {
        return bad(`<${f.name}> must hold JSON text`);
      }
    default:
      return s;
  }
}

function decode(c: Collection, body: Buffer): unknown {
  const src = body.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(src)) bad('DOCTYPE and ENTITY declarations are not allowed');
  let doc: XmlNode;
  try {
    doc = parser.parse(src, true) as XmlNode;
  } catch {
    return bad('malformed XML');
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (roots.length !== 1 || roots[0] !== 'record') bad('the root element must be <record>');
  const root = doc.record;
  if (root === '' || root === undefined) return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) bad('<record> must hold field elements');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(root as XmlNode)) {
    if (k.startsWith('@') || k === '#text') continue;
    if (Array.isArray(v)) bad(`<${k}> appears more than once`);
    const f = c.fields.find((x) => x.name === k);
    if (!f) {
      out[k] = typeof v === 'string' ? v : ''; // unknown: validation names it
      continue;
    }
    if (f.type === 'relation' && f.multiple) {
      const items = typeof v === 'object' && v !== null ? ((v as XmlNode).item as unknown[] | undefined) : undefined;
      out[k] = (items ?? []).map((x) => String(typeof x === 'object' && x !== null ? ((x as XmlNode)['#text'] ?? '') : x));
    } else out[k] = text(f, v);
  }
  return out;
}

export const xmlCodec = {
  name: 'xml',
  mediaTypes: MEDIA_TYPES.xml,
  generic: false,
  supports: (c) => c.type === 'base',
  encodeRecord: (c, rec) => DECL + builder.build({ record: recordNode(c, rec) }),
  encodeList: (c, list: ListResult) => {
    const attrs: XmlNode = { '@page': String(list.page), '@perPage': String(list.perPage) };
    if (list.totalItems !== undefined) attrs['@totalItems'] = String(list.totalItems);
    if (list.totalPages !== undefined) attrs['@totalPages'] = String(list.totalPages);
    if (list.nextCursor) attrs['@nextCursor'] = list.nextCursor;
    return DECL + builder.build({ list: { ...attrs, record: list.items.map((r) => recordNode(c, r)) } });
  },
  decodeRecord: (c, body) => decode(c, body),
} satisfies RecordCodec;
