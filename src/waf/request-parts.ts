// Splits a request's head into inspectable values: path, query arguments (names and
// raw values, RFC 3986 / WHATWG urlencoded), cookies (RFC 6265) and selected headers.
import type { Location } from './detector.js';
import { linearRx } from './regex-linear.js';

const ODD_NAME = linearRx(/proto|constructor/i);

export interface RawPart { location: Location; name: string; value: string }

/** Headers whose values browsers and proxies generate in fixed formats; never inspected for injection. */
const SKIP_HEADERS = new Set([
  'host', 'connection', 'content-length', 'content-type', 'transfer-encoding', 'accept', 'accept-encoding', 'accept-language',
  'cache-control', 'pragma', 'upgrade-insecure-requests', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since',
  'dnt', 'te', 'priority', 'authorization', 'proxy-authorization', 'cookie', 'upgrade', 'keep-alive', 'range', 'if-range', 'content-encoding',
  'x-request-id', 'traceparent', 'tracestate', 'baggage', 'x-api-key',
]);

/** Whether a header (name lower-cased) is inspected as data at paranoia 1-2: not machine-formatted, not a credential, not a pseudo-header. */
export function isInspectedHeader(name: string): boolean {
  return !SKIP_HEADERS.has(name) && !name.startsWith('sec-') && name.charCodeAt(0) !== 58;
}

/** Splits `a=1&b=%27` into raw (still percent-encoded, `+` made a space) names and values. */
export function splitUrlencoded(qs: string, location: 'query' | 'body', out: RawPart[]): void {
  if (qs === '') return;
  const nameLoc: Location = location === 'query' ? 'query-name' : 'body-name';
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end === -1) end = qs.length;
    if (end > start) {
      const pair = qs.slice(start, end);
      const eq = pair.indexOf('=');
      let name = eq === -1 ? pair : pair.slice(0, eq);
      let value = eq === -1 ? '' : pair.slice(eq + 1);
      if (name.includes('+')) name = name.replace(/\+/g, ' ');
      if (value.includes('+')) value = value.replace(/\+/g, ' ');
      let plainName = name;
      if (name.includes('%')) { try { plainName = decodeURIComponent(name); } catch { /* keep raw */ } }
      if (!/^[\w.\-[\]]*$/.test(name) || ODD_NAME.test(name)) out.push({ location: nameLoc, name: plainName, value: name });
      if (value !== '') out.push({ location, name: plainName, value });
    }
    start = end + 1;
  }
}

/** What String.prototype.trim removes (ECMA-262 WhiteSpace and LineTerminator). */
function isTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * `name=value` pairs of a Cookie header (RFC 6265 §4.2), values unquoted; pieces without
 * `=` or with an empty value are skipped. One scan with index arithmetic: no split, trim
 * or intermediate strings (it runs on every request).
 */
export function parseCookies(header: string, out: RawPart[]): void {
  const n = header.length;
  let start = 0;
  let eq = header.indexOf('=');
  while (start < n && eq !== -1) {
    let end = header.indexOf(';', start);
    if (end === -1) end = n;
    // the next '=' is found once per pair, never rescanned: linear in the header
    if (eq < start) { eq = header.indexOf('=', start); if (eq === -1) break; }
    if (eq < end) {
      let ns = start, ne = eq, vs = eq + 1, ve = end;
      while (ns < ne && isTrimmed(header.charCodeAt(ns))) ns++;
      while (ne > ns && isTrimmed(header.charCodeAt(ne - 1))) ne--;
      while (vs < ve && isTrimmed(header.charCodeAt(vs))) vs++;
      while (ve > vs && isTrimmed(header.charCodeAt(ve - 1))) ve--;
      if (ve - vs >= 2 && header.charCodeAt(vs) === 34 && header.charCodeAt(ve - 1) === 34) { vs++; ve--; }
      if (ve > vs) out.push({ location: 'cookie', name: header.slice(ns, ne), value: header.slice(vs, ve) });
    }
    start = end + 1;
  }
}

export interface HeadInput {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The path and query arguments of the request target. */
export function urlParts(url: string, out: RawPart[]): void {
  const q = url.indexOf('?');
  out.push({ location: 'path', name: 'path', value: q === -1 ? url : url.slice(0, q) });
  if (q !== -1) splitUrlencoded(url.slice(q + 1), 'query', out);
}

/** The cookies and the inspected header values. */
export function headerParts(headers: HeadInput['headers'], paranoia: number, out: RawPart[]): void {
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (name === 'cookie') { parseCookies(Array.isArray(v) ? v.join('; ') : v, out); continue; }
    if (paranoia < 3 && (SKIP_HEADERS.has(name) || name.startsWith('sec-'))) continue;
    if (name === 'authorization' || name === 'proxy-authorization' || name.startsWith(':')) continue;
    if (Array.isArray(v)) for (const x of v) out.push({ location: 'header', name, value: x });
    else out.push({ location: 'header', name, value: v });
  }
}
