// Fills a CRS transaction from Strata's view of a request: the head (method, target,
// headers, cookies) and the parsed body (JSON, urlencoded, multipart, XML, text,
// MessagePack / protobuf), named the way ModSecurity's body processors name them.
import { Transaction, toBytes, type MemoSource } from './transaction.js';
import { parseCookies, type RawPart } from '../request-parts.js';
import { jsonParts, multipartParts, xmlParts, type BodyLimits } from '../body-parts.js';
import { MSGPACK_TYPES, PROTOBUF_TYPES, msgpackParts, protobufParts } from '../body-binary.js';
import { TRANSFORMS } from './transforms.js';
import type { HeadRequest } from '../waf-engine.js';

const urlDecode = TRANSFORMS.urldecode;

function addQuery(tx: Transaction, qs: string, source: 'GET' | 'POST'): void {
  // every name and value, each decoded once (as ModSecurity's argument parser does)
  for (const pair of qs.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = urlDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : urlDecode(pair.slice(eq + 1));
    tx.addArg(source, name, value, source === 'GET' ? 'query' : 'body');
  }
}

export function headTransaction(req: HeadRequest, memoOf?: MemoSource): Transaction {
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
  if (q !== -1) addQuery(tx, req.url.slice(q + 1), 'GET');
  // Path segments carry route parameters (`/api/posts/:id`): as arguments, every attack rule
  // sees them (CRS reads the path in a few LFI/protocol rules only; issue 14: SQL injection and
  // shell commands in a path segment passed)
  let n = 0;
  for (const seg of path.split('/')) {
    if (seg === '') continue;
    tx.addPathArg(`path.${n++}`, urlDecode(seg));
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
export function addBody(tx: Transaction, body: unknown, contentType: string, lim: BodyLimits): BodyErrors {
  const mt = contentType.split(';', 1)[0].trim().toLowerCase();
  const binary = MSGPACK_TYPES.has(mt) ? msgpackParts : PROTOBUF_TYPES.has(mt) ? protobufParts : undefined;
  const bytes = binary === undefined ? undefined : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'latin1') : undefined;
  const utf8 = mt.endsWith('json') || mt.endsWith('xml') || mt.startsWith('text/');
  const text = bytes !== undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString(utf8 ? 'utf8' : 'latin1') : undefined;
  const parts: RawPart[] = [];
  const s = tx.scalars;
  tx.targets.clear();
  if (binary !== undefined && bytes !== undefined) binary(bytes, parts, lim);
  else if (text === undefined) { s.set('REQBODY_PROCESSOR', 'JSON'); jsonParts(body, parts, lim); }
  else if (mt === 'application/x-www-form-urlencoded') {
    s.set('REQBODY_PROCESSOR', 'URLENCODED');
    s.set('REQUEST_BODY', text);
    addQuery(tx, text, 'POST');
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
    for (const p of parts) if (p.location === 'body') tx.add('XML', toBytes(p.name), toBytes(p.value), 'body', true);
    // DTDs and entity declarations are not text nodes: the raw body carries them
    s.set('REQUEST_BODY', toBytes(text));
    return { xmlExternalEntity: external, xmlEntityExpansion: expansion };
  } else if (mt.endsWith('/json') || mt.endsWith('+json')) {
    s.set('REQBODY_PROCESSOR', 'JSON');
    try { jsonParts(JSON.parse(text), parts, lim); } catch { parts.push({ location: 'body', name: 'body', value: text }); }
  } else {
    // no body processor: CRS forces REQUEST_BODY; Strata also inspects it as one argument
    s.set('REQUEST_BODY', toBytes(text));
    parts.push({ location: 'body', name: 'body', value: text });
  }
  for (const p of parts) if (p.location === 'body' || p.location === 'filename') tx.addArg('POST', toBytes(p.name), toBytes(p.value), 'body');
  return {};
}
