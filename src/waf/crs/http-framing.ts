// HTTP/1.1 message framing checks (RFC 9112 §6.3, §3.2) that Apache makes before
// ModSecurity sees a request (it answers 400): Node's parser lets some through, so
// Strata makes them here. Request smuggling signs and a repeated Host.
import type { HeadRequest } from '../waf-engine.js';

export interface FramingFinding { rule: string; message: string }

function rawCount(raw: string[] | undefined, name: string): number {
  if (!raw) return 0;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === name.length && raw[i].toLowerCase() === name) n++;
  return n;
}

export function framingFindings(req: HeadRequest): FramingFinding[] {
  const out: FramingFinding[] = [];
  const h = req.headers;
  const te = h['transfer-encoding'];
  const cl = h['content-length'];
  if (te !== undefined && cl !== undefined) out.push({ rule: 'http-smuggling', message: 'both Content-Length and Transfer-Encoding' });
  if (te !== undefined && String(te).trim().toLowerCase() !== 'chunked') out.push({ rule: 'http-smuggling', message: 'Transfer-Encoding other than chunked' });
  if (rawCount(req.rawHeaders, 'content-length') > 1 || (typeof cl === 'string' && cl.includes(','))) out.push({ rule: 'http-smuggling', message: 'multiple Content-Length values' });
  if (rawCount(req.rawHeaders, 'host') > 1) out.push({ rule: 'http-host', message: 'multiple Host headers' });
  return out;
}
