// Inspectable values of binary request bodies: MessagePack (msgpack spec, decoded with
// msgpackr exactly as the records API decodes it, then walked like JSON) and Protocol
// Buffers (proto3 wire format, decoded without the schema: length-delimited fields that
// are valid UTF-8 are strings, those that parse as messages are descended into).
import { isUtf8 } from 'node:buffer';
import { Unpackr } from 'msgpackr';
import { MEDIA_TYPES } from '../formats/index.js';
import type { RawPart } from './request-parts.js';
import { jsonParts, type BodyLimits } from './body-parts.js';

// Same options as src/formats/msgpack.ts: no record extension, so only plain maps,
// arrays, scalars and binaries come out (what the API itself would see).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export const MSGPACK_TYPES: ReadonlySet<string> = new Set(MEDIA_TYPES.msgpack);
export const PROTOBUF_TYPES: ReadonlySet<string> = new Set(MEDIA_TYPES.protobuf);

/**
 * Keys and string leaves of a MessagePack body, with the same names JSON would give
 * (`post.comment`), so exclusions and detections read alike. Malformed bodies yield the
 * body's UTF-8 text when it is some (the API answers 400 to them anyway).
 */
export function msgpackParts(body: Buffer, out: RawPart[], lim: BodyLimits): void {
  let value: unknown;
  try {
    value = unpackr.unpack(body);
  } catch {
    // includes RangeError from hostile nesting: msgpackr recurses per level
    if (isUtf8(body)) out.push({ location: 'body', name: 'body', value: body.toString('utf8') });
    return;
  }
  jsonParts(value, out, lim);
}

/** Reads a base-128 varint at `pos`; returns the position after it, or -1 (truncated / longer than 10 bytes). */
function skipVarint(b: Buffer, pos: number, end: number): number {
  for (let i = 0; i < 10 && pos < end; i++) if ((b[pos++] & 0x80) === 0) return pos;
  return -1;
}

function readLength(b: Buffer, pos: number, end: number): { len: number; next: number } | undefined {
  let len = 0, mul = 1;
  for (let i = 0; i < 5 && pos < end; i++) {
    const x = b[pos++];
    len += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return len <= end - pos ? { len, next: pos } : undefined;
    mul *= 128;
  }
  return undefined;
}

interface Field { number: number; start: number; end: number }

/**
 * The length-delimited fields of `b[start, end)` if the range is a well-formed message
 * (tags with field numbers >= 1 and wire types 0, 1, 2, 5; no groups), else undefined.
 * `scalars` counts the other fields. Scans one level only: linear in the range.
 */
function parseMessage(b: Buffer, start: number, end: number): { fields: Field[]; scalars: number } | undefined {
  const fields: Field[] = [];
  let scalars = 0;
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    pos = skipVarint(b, pos, end);
    if (pos === -1) return undefined;
    let tag = 0;
    for (let i = pos - 1; i >= tagStart; i--) tag = tag * 128 + (b[i] & 0x7f);
    const wire = tag % 8, number = Math.floor(tag / 8);
    if (number < 1 || number > 536_870_911) return undefined;
    if (wire === 0) { pos = skipVarint(b, pos, end); if (pos === -1) return undefined; scalars++; }
    else if (wire === 1) { pos += 8; if (pos > end) return undefined; scalars++; }
    else if (wire === 5) { pos += 4; if (pos > end) return undefined; scalars++; }
    else if (wire === 2) {
      const l = readLength(b, pos, end);
      if (!l) return undefined;
      fields.push({ number, start: l.next, end: l.next + l.len });
      pos = l.next + l.len;
    } else return undefined;
  }
  return { fields, scalars };
}

const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * String values of a Protocol Buffers body without its schema, named by field-number path
 * (`1.4`). A length-delimited field may be a string, bytes, a nested message or a packed
 * array: it is descended into when it parses as a message, and inspected as a string when
 * it is valid UTF-8 unless it parses as a message made only of length-delimited fields
 * (each inspected on its own) and holds control characters, as real nested messages do
 * (tags 0x0a/0x12/0x1a, lengths < 32). Text cannot hide in such a message except split
 * across its tag and length bytes. Scalar fields (varint, fixed32/64) can carry text, so a
 * message holding any is inspected as a string too. A body that is no message at all is inspected as
 * UTF-8 text if it is some.
 */
const WIRE_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/g;

export function protobufParts(body: Buffer, out: RawPart[], lim: BodyLimits): void {
  const top = parseMessage(body, 0, body.length);
  if (!top) {
    if (isUtf8(body)) out.push({ location: 'body', name: 'body', value: body.toString('utf8') });
    return;
  }
  const stack: Array<{ fields: Field[]; path: string; depth: number }> = [{ fields: top.fields, path: '', depth: 0 }];
  while (stack.length > 0 && out.length < lim.maxParts) {
    const { fields, path, depth } = stack.pop() as { fields: Field[]; path: string; depth: number };
    for (let i = fields.length - 1; i >= 0 && out.length < lim.maxParts; i--) {
      const f = fields[i];
      const name = path ? `${path}.${f.number}` : String(f.number);
      if (f.end === f.start) continue;
      const nested = depth + 1 < lim.maxDepth ? parseMessage(body, f.start, f.end) : undefined;
      if (nested) stack.push({ fields: nested.fields, path: name, depth: depth + 1 });
      const bytes = body.subarray(f.start, f.end);
      if (!isUtf8(bytes)) continue;
      const text = bytes.toString('utf8');
      // a message seen as a string: its tag, length and scalar bytes are wire format, not text (a fixed64
      // `price` holds NULs): control bytes are dropped, so text split across fields reads as one
      if (!nested) out.push({ location: 'body', name, value: text });
      else if (nested.scalars > 0 || nested.fields.length === 0 || !CONTROL.test(text)) out.push({ location: 'body', name, value: text.replace(WIRE_CONTROL, '') });
    }
  }
}
