// Strata-side views of argument values, applied before the CRS rules see them.
// A data: URI (RFC 2397) of a media type that cannot run script (images, plain text, JSON,
// PDF...) is inspected as its payload, not as a `data:` scheme (CRS 941170 flags every
// `data:...;base64`/`data:...,` value as attribute injection): binary payloads (images,
// audio, PDF...) are not text and are not inspected; text payloads are, decoded, and so are
// script-capable ones (HTML, SVG, XML, JavaScript), whose markup every XSS rule then reads
// (`<svg onload=...>` is caught, a plain SVG icon passes). Anything that is not a
// well-formed data: URI stays raw.
// A value that still holds encodings after the argument parser's one URL decoding (double
// encoding, HTML character references outside the XSS rules, `/**/` between shell words) is
// also inspected fully decoded, beside its own form: CRS decodes per family, and most
// families decode neither a second `%25` nor `&#60;` (issue 14: detection per family).
import type { ArgPart } from './strata-args.js';
import { TRANSFORMS } from './crs/transforms.js';
import { linearRx } from './regex-linear.js';

const DATA_URI = linearRx(/^data:([a-z]+\/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[a-z0-9._-]+)*)(;base64)?,/i);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SCRIPTABLE = linearRx(/html|xml|svg|javascript|ecmascript|x-shockwave|vnd\.wap/i);
const BINARY = linearRx(/^(?:image|audio|video|font)\/|^application\/(?:pdf|octet-stream|zip|gzip|wasm)$/i);

/** What to inspect for a data: URI value: undefined = the value itself; [] = nothing; else the decoded payload. */
export function dataUriView(value: string): string[] | undefined {
  if (value.length < 6 || (value.charCodeAt(0) | 32) !== 100 || !value.slice(0, 5).toLowerCase().startsWith('data:')) return undefined;
  const m = DATA_URI.exec(value);
  if (m === null) return undefined;
  const type = m[1].toLowerCase();
  const scriptable = SCRIPTABLE.test(type);
  const payload = value.slice(m[0].length);
  if (m[3] !== undefined) {
    if (!BASE64.test(payload) || payload.length % 4 !== 0) return undefined;
    if (BINARY.test(type) && !scriptable) return [];
    return [Buffer.from(payload, 'base64').toString('utf8')];
  }
  if (BINARY.test(type) && !scriptable) return undefined;
  try { return [decodeURIComponent(payload)]; } catch { return undefined; }
}

const PCT = /%[0-9a-fA-F]{2}|%u[0-9a-fA-F]{4}/;
const ENTITY = linearRx(/&(?:#[xX]?[0-9a-fA-F]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});?/);
const COMMENT = /\/\*[^]*?\*\//g;

/** The value with the encodings left in it undone (up to 3 rounds) and `/**\/` made a space; undefined when that changes nothing. */
export function decodedView(value: string): string | undefined {
  if (!value.includes('%') && !value.includes('&') && !value.includes('/*')) return undefined;
  let v = value;
  for (let i = 0; i < 3; i++) {
    const before = v;
    if (PCT.test(v)) v = TRANSFORMS.urldecodeuni(v);
    if (ENTITY.test(v)) v = TRANSFORMS.htmlentitydecode(v);
    if (v === before) break;
  }
  if (v.includes('/*')) v = v.replace(COMMENT, ' ');
  return v === value ? undefined : v;
}

/**
 * The parts with Strata's views applied (the same array when nothing changes). `decoded`: add the
 * fully decoded view (the CRS engine; the legacy detectors decode by themselves).
 */
export function valueViews(parts: ArgPart[], decoded = true): ArgPart[] {
  let out: ArgPart[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const arg = p.location === 'body' || p.location === 'query' || p.location === 'filename';
    const v = arg ? dataUriView(p.value) : undefined;
    const values = v ?? [p.value];
    const extra: string[] = [];
    if (arg && decoded) for (const x of values) { const d = decodedView(x); if (d !== undefined && d !== '') extra.push(d); }
    if (v === undefined && extra.length === 0) { out?.push(p); continue; }
    out ??= parts.slice(0, i);
    if (v === undefined) out.push(p);
    else for (const value of v) if (value !== '') out.push({ ...p, value });
    for (const value of extra) out.push({ ...p, value });
  }
  return out ?? parts;
}
