// application/xml (XML 1.0) via fast-xml-parser. No DTDs at all: a DOCTYPE or ENTITY declaration
// is refused before parsing (no external entities, no expansion bombs); only the five predefined
// entities and character references are decoded, and a character XML 1.0 cannot hold (§2.2 Char) is
// refused on input. A string holding such characters (C0 controls but tab/LF/CR, U+FFFE, U+FFFF)
// is written as <f encoding="base64">UTF-8 bytes in base64</f>, which input accepts as well. A CR is
// written &#13;: raw, every parser would read it back as LF (§2.11 end-of-line handling).
// Shape: <record><title>..</title><tags><item>id</item></tags><reviewer nil="true"/></record>.
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { ValidationError } from '../core/index.js';
import type { Collection, Field, ListResult, RecordData } from '../data/index.js';
import type { RecordCodec } from './codec.js';
import { MEDIA_TYPES } from './media-types.js';

// The builder's own escapes (fast-xml-builder's default list, & first) plus CR, which would not round-trip raw.
// `entities` is a builder option its type declarations leave out.
const ESCAPES = [
  { regex: /&/g, val: '&amp;' },
  { regex: />/g, val: '&gt;' },
  { regex: /</g, val: '&lt;' },
  { regex: /'/g, val: '&apos;' },
  { regex: /"/g, val: '&quot;' },
  { regex: /\r/g, val: '&#13;' },
];
const builderOptions = { ignoreAttributes: false, attributeNamePrefix: '@', format: false, suppressEmptyNode: false, suppressBooleanAttributes: false, processEntities: true, entities: ESCAPES };
const builder = new XMLBuilder(builderOptions);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true, // only the predefined XML entities and character references: DTDs are refused first
  // Turns on character references (&#65; &#x42;). The HTML names it would also decode never reach the
  // parser: checkCharacters refuses every entity but XML's five first.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
  isArray: (name, jpath) => name === 'item' && String(jpath).split('.').length === 3,
});
const MAX_DEPTH = 16;

type XmlNode = Record<string, unknown>;

/** A character XML 1.0 cannot carry, raw or as a reference (§2.2: Char). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const REFERENCE = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][A-Za-z0-9._-]*)?;?/g;
const PREDEFINED = new Set(['lt', 'gt', 'amp', 'apos', 'quot']);

/** Text as XML can carry it: as is, or base64 of its UTF-8 under encoding="base64". */
function xmlText(s: string): unknown {
  return NOT_XML_CHAR.test(s) ? { '@encoding': 'base64', '#text': Buffer.from(s, 'utf8').toString('base64') } : s;
}

function toXmlValue(v: unknown, depth: number): unknown {
  if (v === null || v === undefined) return { '@nil': 'true' };
  if (Array.isArray(v)) return { item: v.map((x) => toXmlValue(x, depth + 1)) };
  if (typeof v === 'object') {
    if (depth > MAX_DEPTH) return JSON.stringify(v);
    const out: XmlNode = {};
    for (const [k, x] of Object.entries(v)) out[/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : '_'] = toXmlValue(x, depth + 1);
    return out;
  }
  return xmlText(String(v));
}

function recordNode(c: Collection, rec: RecordData): XmlNode {
  const out: XmlNode = {};
  for (const [k, v] of Object.entries(rec)) {
    const f = c.fields.find((x) => x.name === k);
    if (f?.type === 'json') out[k] = v === null ? { '@nil': 'true' } : xmlText(JSON.stringify(v));
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

/** The text of an element written with encoding="base64". */
function base64Text(name: string, n: XmlNode): string {
  if (n['@encoding'] !== 'base64') bad(`<${name}> has an unknown encoding (only "base64")`);
  const b64 = String(n['#text'] ?? '').replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) bad(`<${name}> is not base64`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return bad(`<${name}> is not base64 of UTF-8 text`);
  }
}

/** Well-formedness checks fast-xml-parser leaves out: characters and references (outside CDATA and comments). */
function checkCharacters(src: string): void {
  if (NOT_XML_CHAR.test(src)) bad('it holds a character XML 1.0 does not allow (send such text base64-encoded, see the docs)');
  const outside = src.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, '');
  for (const m of outside.matchAll(REFERENCE)) {
    const [all, name] = m;
    if (!name || !all.endsWith(';')) bad('a bare "&" (write &amp;)');
    if (name.startsWith('#')) {
      const cp = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!(cp <= 0x10ffff) || NOT_XML_CHAR.test(String.fromCodePoint(cp))) bad(`${all} is not a character XML 1.0 allows`);
    } else if (!PREDEFINED.has(name)) bad(`undeclared entity ${all}`);
  }
}

function text(f: Field, node: unknown): unknown {
  if (typeof node === 'object' && node !== null) {
    const n = node as XmlNode;
    if (n['@nil'] === 'true') return null;
    if ('@encoding' in n) node = base64Text(f.name, n);
    else if ('#text' in n) node = n['#text'];
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
  checkCharacters(src);
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
    if ((f.type === 'relation' || f.type === 'file') && f.multiple) {
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
