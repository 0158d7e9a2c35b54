// HTTP protocol anomalies (RFC 9110/9112): request smuggling signs (Content-Length
// with Transfer-Encoding, odd codings, conflicting lengths), missing or repeated Host,
// invalid characters, oversized headers/arguments, disallowed methods and media types.
import type { Detector, DetectContext, Finding, HeaderFacts, InspectedValue, RequestFacts } from '../detector.js';
import { CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

const KNOWN_CHARSET = linearRx(/charset\s*=\s*"?(?:utf-8|utf8|iso-8859-1|iso-8859-15|windows-1252|us-ascii)"?\s*(?:;|$)/i);

const f = (rule: string, severity: Finding['severity'], paranoia: 1 | 2 | 3 | 4, message: string): Finding => ({ rule, severity, paranoia, message });
const CTRL = /[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/;

function rawCount(raw: string[] | undefined, name: string): number {
  if (!raw) return 0;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === name.length && raw[i].toLowerCase() === name) n++;
  return n;
}

/** Header-line anomalies: smuggling signs, Host, media type, ranges, header counts and sizes, missing User-Agent. */
export function inspectProtocolHeaders(r: HeaderFacts, ctx: DetectContext): Finding[] {
  const out: Finding[] = [];
  const h = r.headers;
  const lim = ctx.limits;
  const te = h['transfer-encoding'];
  const cl = h['content-length'];
  if (te !== undefined && cl !== undefined) out.push(f('protocol-smuggling', 'critical', 1, 'both Content-Length and Transfer-Encoding'));
  if (te !== undefined && String(te).trim().toLowerCase() !== 'chunked') out.push(f('protocol-smuggling', 'critical', 1, 'Transfer-Encoding other than chunked'));
  if (rawCount(r.rawHeaders, 'content-length') > 1 || (typeof cl === 'string' && cl.includes(','))) out.push(f('protocol-smuggling', 'critical', 1, 'multiple Content-Length values'));
  if (typeof cl === 'string' && !/^\d{1,15}$/.test(cl.trim()) && !cl.includes(',')) out.push(f('protocol-smuggling', 'critical', 1, 'invalid Content-Length'));
  const host = h.host ?? h[':authority'];
  if (host === undefined || host === '') {
    if (r.httpVersion !== '1.0') out.push(f('protocol-host', 'warning', 1, 'missing Host header'));
  } else if (rawCount(r.rawHeaders, 'host') > 1) out.push(f('protocol-host', 'critical', 1, 'multiple Host headers'));
  else if (typeof host === 'string' && /^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$/.test(host) && ctx.paranoia >= 2) out.push(f('protocol-host', 'warning', 2, 'Host is a numeric IP'));
  const ct = h['content-type'];
  if (typeof ct === 'string' && ct !== '') {
    const mt = ct.split(';', 1)[0].trim().toLowerCase();
    const allowed = lim.allowedContentTypes.some((a) => a === mt || (a.endsWith('/*') && mt.startsWith(a.slice(0, -1))) || (a.startsWith('*+') && mt.endsWith(a.slice(1))));
    if (!allowed) out.push(f('protocol-content-type', 'critical', 1, 'content type not allowed'));
    const charsets = ct.toLowerCase().match(/charset\s*=/g)?.length ?? 0;
    if (charsets > 1) out.push(f('protocol-content-type', 'critical', 1, 'multiple charsets'));
    else if (charsets === 1 && !KNOWN_CHARSET.test(ct)) out.push(f('protocol-content-type', 'critical', 1, 'unexpected charset'));
  }
  const range = h.range;
  const ranges = typeof range === 'string' ? (range.match(/,/g)?.length ?? 0) + 1 : 0;
  if (ranges > 10) out.push(f('protocol-range', 'critical', 1, 'too many byte ranges'));
  else if (ranges > 5) out.push(f('protocol-range', 'warning', 1, 'many byte ranges'));
  const headerCount = r.rawHeaders ? r.rawHeaders.length / 2 : Object.keys(h).length;
  if (headerCount > lim.maxHeaders) out.push(f('protocol-limits', 'critical', 1, 'too many headers'));
  for (const k in h) {
    const v = h[k];
    const len = typeof v === 'string' ? v.length : Array.isArray(v) ? v.join(',').length : 0;
    if (len > lim.maxHeaderLength) { out.push(f('protocol-limits', 'critical', 1, 'header too long')); break; }
  }
  if (ctx.paranoia >= 2 && h['user-agent'] === undefined) out.push(f('protocol-user-agent', 'notice', 2, 'missing User-Agent header'));
  return out;
}

/** What depends on the method, target and arguments: allowed methods, argument limits, raw characters in the target. */
export function inspectProtocol(r: RequestFacts, ctx: DetectContext): Finding[] {
  const out: Finding[] = [];
  const lim = ctx.limits;
  if (!lim.allowedMethods.includes(r.method)) out.push(f('protocol-method', 'critical', 1, `method ${r.method.slice(0, 16)} not allowed`));
  if (r.argCount > lim.maxArgs) out.push(f('protocol-limits', 'critical', 1, 'too many arguments'));
  if (r.argTotalLength > lim.maxTotalArgLength) out.push(f('protocol-limits', 'critical', 1, 'arguments too large in total'));
  if (r.maxArgLength > lim.maxArgLength) out.push(f('protocol-limits', 'critical', 1, 'argument value too long'));
  if (r.argNames.some((n) => n.length > lim.maxArgNameLength)) out.push(f('protocol-limits', 'critical', 1, 'argument name too long'));
  if (ctx.paranoia >= 2 && r.headers.accept === undefined && r.method !== 'OPTIONS') out.push(f('protocol-accept', 'notice', 2, 'missing Accept header'));
  if (/[^\x21-\x7e]/.test(r.url)) out.push(f('protocol-invalid-char', 'critical', 1, 'raw non-printable character in the request target'));
  return out;
}

export const protocolDetector = {
  name: 'protocol',
  gate: () => CC_OPAQUE,
  locations: ['path', 'query', 'query-name', 'header', 'cookie', 'body', 'filename'],
  inspectRequest: inspectProtocol,
  inspectHeaders: inspectProtocolHeaders,
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const d = v.view.decoded;
    if (v.view.nullByte && v.location !== 'body') return [f('protocol-null-byte', 'critical', 1, 'null byte')];
    if (v.location !== 'body' && CTRL.test(d)) return [f('protocol-invalid-char', v.location === 'header' ? 'critical' : 'error', 1, 'control character')];
    if (ctx.paranoia >= 2 && v.view.invalidEncoding && v.location !== 'body') return [f('protocol-encoding', 'warning', 2, 'invalid percent-encoding')];
    if (ctx.paranoia >= 3 && v.location !== 'body' && /[^\x20-\x7e\u00a0-\uffff\t]/.test(d)) return [f('protocol-invalid-char', 'warning', 3, 'unusual character')];
    return [];
  },
} satisfies Detector;
