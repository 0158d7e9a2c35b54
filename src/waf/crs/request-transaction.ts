// Fills a CRS transaction from Strata's view of a request: the head (method, target,
// headers, cookies) and the parsed body (JSON, urlencoded, multipart, XML, text,
// MessagePack / protobuf), named the way ModSecurity's body processors name them.
import { Transaction, toBytes, type MemoSource } from './transaction.js';
import { parseCookies, type RawPart } from '../request-parts.js';
import { jsonParts, multipartParts, xmlParts, type BodyLimits } from '../body-parts.js';
import { MSGPACK_TYPES, PROTOBUF_TYPES, msgpackParts, protobufParts } from '../body-binary.js';
import { isUtf8 } from 'node:buffer';
import { TRANSFORMS } from './transforms.js';
import type { HeadRequest } from '../waf-engine.js';
import type { ArgPart, ArgReader } from '../strata-args.js';
import { decodedView, valueViews } from '../value-views.js';
import { isInspectedHeader } from '../request-parts.js';

const urlDecode = TRANSFORMS.urldecode;
// C0 controls other than tab, line feed, carriage return: binary data, not text
// media types that say the body is bytes: uploads, Avro, gRPC frames
const OPAQUE_TYPES = /^(?:application\/(?:octet-stream|avro|vnd\.apache\.avro\+binary|grpc(?:-web)?(?:\+proto)?)|avro\/binary)$/;
const BINARY_BYTES = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

function addQuery(tx: Transaction, qs: string, source: 'GET' | 'POST', reader?: ArgReader): void {
  // every name and value, each decoded once (as ModSecurity's argument parser does)
  const loc = source === 'GET' ? 'query' : 'body';
  let parts: ArgPart[] = [];
  for (const pair of qs.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    parts.push({ location: loc, name: urlDecode(eq === -1 ? pair : pair.slice(0, eq)), value: eq === -1 ? '' : urlDecode(pair.slice(eq + 1)) });
  }
  if (reader !== undefined) parts = source === 'GET' ? reader.query(parts) : reader.body(parts);
  for (const p of valueViews(parts)) tx.addArg(source, p.name, p.value, loc, p.field);
}

export function headTransaction(req: HeadRequest, memoOf?: MemoSource, reader?: ArgReader): Transaction {
  const tx = new Transaction();
  tx.memoOf = memoOf;
  const protocol = `HTTP/${req.httpVersion}`;
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const s = tx.scalars;
  s.set('REQUEST_METHOD', req.method);
  s.set('REQUEST_PROTOCOL', protocol);
  s.set('REQUEST_URI', req.url);
  s.set('REQUEST_URI_RAW', req.url);
  s.set('REQUEST_FILENAME', path);
  s.set('REQUEST_BASENAME', path.slice(path.lastIndexOf('/') + 1));
  s.set('REQUEST_LINE', `${req.method} ${req.url} ${protocol}`);
  if (q !== -1) s.set('QUERY_STRING', req.url.slice(q + 1));
  if (q !== -1) addQuery(tx, req.url.slice(q + 1), 'GET', reader);
  // Path segments carry route parameters (`/api/posts/:id`): as arguments, every attack rule
  // sees them (CRS reads the path in a few LFI/protocol rules only; issue 14: SQL injection and
  // shell commands in a path segment passed)
  let n = 0;
  for (const seg of path.split('/')) {
    if (seg === '') continue;
    const name = `path.${n++}`;
    const value = urlDecode(seg);
    tx.addPathArg(name, value);
    const d = decodedView(value);
    if (d !== undefined) tx.addPathArg(name, d);
  }
  let host = false;
  const add = (name: string, value: string) => {
    if (name.charCodeAt(0) === 58) {
      // HTTP/2 pseudo-headers: :authority stands for Host (RFC 9113 §8.3.1), as ModSecurity reads it
      if (name === ':authority' && !host) add('Host', value);
      return;
    }
    if (name.length === 4 && name.toLowerCase() === 'host') host = true;
    tx.add('REQUEST_HEADERS', name, value, 'header');
    tx.add('REQUEST_HEADERS_NAMES', name, name, 'header');
    // Headers an application reads as data (X-*, custom ones, Referer, User-Agent): as arguments,
    // every attack rule sees them (CRS reads only User-Agent and Referer in a few rules; issue 14:
    // attacks in custom headers passed). Machine-formatted headers (Accept*, Host, Cookie...) stay out.
    const lname = name.toLowerCase();
    if (isInspectedHeader(lname)) {
      tx.addHeaderArg(lname, value);
      const d = decodedView(value);
      if (d !== undefined) tx.addHeaderArg(lname, d);
    }
    if (name.toLowerCase() === 'cookie') {
      const cookies: RawPart[] = [];
      parseCookies(value, cookies);
      for (const c of cookies) {
        tx.add('REQUEST_COOKIES', c.name, c.value, 'cookie');
        tx.add('REQUEST_COOKIES_NAMES', c.name, c.name, 'cookie');
      }
    }
  };
  if (req.rawHeaders !== undefined && req.rawHeaders.length > 0) {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) add(req.rawHeaders[i], req.rawHeaders[i + 1]);
  } else {
    for (const name in req.headers) {
      const v = req.headers[name];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) add(name, x); else add(name, v);
    }
  }
  return tx;
}

/** What the body processor reported: ModSecurity's XML processor (libxml2, no entity loading) fails on these. */
export interface BodyErrors { xmlExternalEntity?: boolean; xmlEntityExpansion?: boolean }

/** Adds the body's values (marked as body values) and sets REQBODY_PROCESSOR and REQUEST_BODY as ModSecurity would. */
export function addBody(tx: Transaction, body: unknown, contentType: string, lim: BodyLimits, reader?: ArgReader): BodyErrors {
  const mt = contentType.split(';', 1)[0].trim().toLowerCase();
  const binary = MSGPACK_TYPES.has(mt) ? msgpackParts : PROTOBUF_TYPES.has(mt) ? protobufParts : undefined;
  const bytes = binary === undefined ? undefined : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'latin1') : undefined;
  const utf8 = mt.endsWith('json') || mt.endsWith('xml') || mt.startsWith('text/');
  const text = bytes !== undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString(utf8 ? 'utf8' : 'latin1') : undefined;
  let parts: ArgPart[] = [];
  const s = tx.scalars;
  tx.selections = [];
  tx.bodySelections = [];
  if (binary !== undefined && bytes !== undefined) binary(bytes, parts, lim);
  else if (text === undefined) { s.set('REQBODY_PROCESSOR', 'JSON'); jsonParts(body, parts, lim); }
  else if (mt === 'application/x-www-form-urlencoded') {
    s.set('REQBODY_PROCESSOR', 'URLENCODED');
    s.set('REQUEST_BODY', text);
    addQuery(tx, text, 'POST', reader);
    return {};
  } else if (mt.startsWith('multipart/')) {
    s.set('REQBODY_PROCESSOR', 'MULTIPART');
    multipartParts(text, contentType, parts, lim);
    for (const p of parts) {
      if (p.location === 'filename') {
        tx.add('FILES', p.name, toBytes(p.value), 'filename', true);
        tx.add('FILES_NAMES', p.name, toBytes(p.name), 'filename', true);
        // CRS 3.3 reads file names only in a few protocol rules; as an argument, every attack rule sees them
        tx.addArg('POST', toBytes(p.name), toBytes(p.value), 'filename');
      } else if (p.location === 'body') tx.addArg('POST', toBytes(p.name), toBytes(p.value), 'body');
    }
    return {};
  } else if (mt.endsWith('/xml') || mt.endsWith('+xml')) {
    s.set('REQBODY_PROCESSOR', 'XML');
    const { external, expansion } = xmlParts(text, parts, lim);
    // text and attribute values, each also fully decoded when it still holds character references (`&amp;#39;`)
    // and, like file names, as arguments: every attack rule sees them (CRS reads XML:/* in some rules only)
    for (const p of valueViews(parts)) {
      if (p.location !== 'body') continue;
      tx.add('XML', toBytes(p.name), toBytes(p.value), 'body', true);
      tx.addArg('POST', toBytes(p.name), toBytes(p.value), 'body');
    }
    // DTDs and entity declarations are not text nodes: the raw body carries them
    s.set('REQUEST_BODY', toBytes(text));
    return { xmlExternalEntity: external, xmlEntityExpansion: expansion };
  } else if (mt.endsWith('/json') || mt.endsWith('+json')) {
    s.set('REQBODY_PROCESSOR', 'JSON');
    try { jsonParts(JSON.parse(text), parts, lim); } catch { parts.push({ location: 'body', name: 'body', value: text }); }
  } else {
    // no body processor: a binary body Strata cannot decode without its schema (Avro, gRPC frames,
    // octet-stream: bytes, not text) is not inspected, as on the legacy engine; text under any other
    // label is: CRS forces REQUEST_BODY, and Strata also inspects it as one argument
    if (OPAQUE_TYPES.test(mt) || (!mt.startsWith('text/') && mt !== '' && ((Buffer.isBuffer(body) && !isUtf8(body)) || BINARY_BYTES.test(text)))) return {};
    const value = Buffer.isBuffer(body) && !utf8 ? body.toString('utf8') : text;
    s.set('REQUEST_BODY', toBytes(value));
    parts.push({ location: 'body', name: 'body', value });
  }
  if (reader !== undefined) parts = reader.body(parts);
  for (const p of valueViews(parts)) if (p.location === 'body' || p.location === 'filename') tx.addArg('POST', toBytes(p.name), toBytes(p.value), 'body', p.field);
  return {};
}
