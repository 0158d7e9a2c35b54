// Turns a request body into inspectable values: JSON at any depth (keys and string
// leaves), application/x-www-form-urlencoded, multipart/form-data (RFC 7578: field
// values and file names, not file contents) and XML (text, attributes, DTD entities).
import { XMLParser } from 'fast-xml-parser';
import { splitUrlencoded, type RawPart } from './request-parts.js';
import { linearRx } from './regex-linear.js';

const BOUNDARY = linearRx(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
const DISPOSITION = linearRx(/content-disposition:[^\r\n]*/i);
const QUOTED_NAME = linearRx(/\bname="([^"]*)"/i);
const BARE_NAME = linearRx(/\bname=([^;\s]+)/i);
const FILENAME = linearRx(/\bfilename\*?="?([^";\r\n]*)"?/i);
const EXTERNAL_DTD = linearRx(/<!DOCTYPE[^>[]*(?:\[[\s\S]*?<!ENTITY[^>]*\b(?:SYSTEM|PUBLIC)\b|\b(?:SYSTEM|PUBLIC)\b)/i);
const PARAMETER_ENTITY = linearRx(/<!ENTITY\s+%/i);
const NESTED_ENTITY = linearRx(/<!ENTITY\s+%?\s*[\w.-]+\s+(?:"[^"]*&[\w.-]+;[^"]*"|'[^']*&[\w.-]+;[^']*')/i);

export interface BodyLimits { maxDepth: number; maxParts: number }

const isPlainName = /^[\w.\-[\]]*$/;

/** Walks parsed JSON (or any plain object tree) iteratively, bounded in depth and leaves. */
export function jsonParts(body: unknown, out: RawPart[], lim: BodyLimits, prefix = ''): void {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: body, path: prefix, depth: 0 }];
  while (stack.length > 0 && out.length < lim.maxParts) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === 'string') { if (v !== '') out.push({ location: 'body', name: path || 'body', value: v }); continue; }
    if (v === null || typeof v !== 'object' || depth >= lim.maxDepth) continue;
    if (Buffer.isBuffer(v)) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
      continue;
    }
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (!isPlainName.test(k) || k === '__proto__' || k === 'constructor' || k === 'prototype') out.push({ location: 'body-name', name: p, value: k });
      stack.push({ v: (v as Record<string, unknown>)[k], path: p, depth: depth + 1 });
    }
  }
}

/** Fields and file names of a multipart/form-data body; file contents are skipped. */
export function multipartParts(body: string, contentType: string, out: RawPart[], lim: BodyLimits): void {
  const m = BOUNDARY.exec(contentType);
  if (!m) return;
  const delim = `--${m[1] ?? m[2]}`;
  let pos = body.indexOf(delim);
  while (pos !== -1 && out.length < lim.maxParts) {
    const start = pos + delim.length;
    if (body.startsWith('--', start)) break;
    const next = body.indexOf(delim, start);
    const part = body.slice(start, next === -1 ? body.length : next);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd !== -1) {
      const head = part.slice(0, headEnd);
      let content = part.slice(headEnd + 4);
      if (content.endsWith('\r\n')) content = content.slice(0, -2);
      const disp = DISPOSITION.exec(head)?.[0] ?? '';
      const name = QUOTED_NAME.exec(disp)?.[1] ?? BARE_NAME.exec(disp)?.[1] ?? '';
      const filename = FILENAME.exec(disp)?.[1];
      if (filename !== undefined) {
        if (filename !== '') out.push({ location: 'filename', name: name || 'file', value: filename });
      } else if (content !== '') {
        out.push({ location: 'body', name, value: content });
      }
      if (!isPlainName.test(name)) out.push({ location: 'body-name', name, value: name });
    }
    pos = next;
  }
}

export interface XmlResult { external: boolean; expansion: boolean }

/** Text and attribute values of an XML document; reports DTDs declaring external entities (XXE). */
export function xmlParts(body: string, out: RawPart[], lim: BodyLimits): XmlResult {
  const external = EXTERNAL_DTD.test(body) || PARAMETER_ENTITY.test(body);
  // entities defined through other entities: the "billion laughs" expansion bomb
  const expansion = NESTED_ENTITY.test(body);
  try {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true, parseTagValue: false, htmlEntities: false });
    jsonParts(parser.parse(body), out, lim);
  } catch {
    out.push({ location: 'body', name: 'xml', value: body.slice(0, 65_536) });
  }
  return { external, expansion };
}
