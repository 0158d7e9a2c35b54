// The media types a function route speaks (RFC 9110 §12 negotiation, as the records API): JSON and
// MessagePack for any schema; XML, Protocol Buffers and Avro bodies built from the route's body and
// response schemas (function-schema-map.ts). One RouteFormats per compiled route.
import { create, createFileRegistry, fromBinary, isFieldSet, toBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import avro from 'avsc';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { ValidationError } from '../core/index.js';
import { MEDIA_TYPES, msgpackCodec, UnsupportedMediaTypeError } from '../formats/index.js';
import { avroSchema, descriptorProto, messageShape, protoMessageSource, SchemaMapError, type ObjectShape, type Shape } from './function-schema-map.js';

import { FORMAT_NAMES, type FormatName } from '../formats/index.js';

export { FORMAT_NAMES, type FormatName };
export const PROTO_PACKAGE = 'strata.functions';

/** What negotiation needs (the shape chooseResponseCodec reads). */
export interface Format {
  readonly name: FormatName;
  readonly mediaTypes: readonly string[];
  readonly generic: true;
  supports(): boolean;
}
const format = (name: FormatName, mediaTypes: readonly string[]): Format => ({ name, mediaTypes, generic: true, supports: () => true });
export const FORMATS: Record<FormatName, Format> = {
  json: format('json', MEDIA_TYPES.json),
  msgpack: format('msgpack', MEDIA_TYPES.msgpack),
  xml: format('xml', MEDIA_TYPES.xml),
  protobuf: format('protobuf', MEDIA_TYPES.protobuf),
  avro: format('avro', MEDIA_TYPES.avro),
};
/** Body media types read as raw bytes and decoded against the route's body schema. */
export const SCHEMA_BODY_TYPES = [...FORMATS.xml.mediaTypes, ...FORMATS.protobuf.mediaTypes, ...FORMATS.avro.mediaTypes];

/** One schema (the body, or one response status) in the binary formats. */
export interface Slot {
  /** Message / record name, unique in package strata.functions. */
  name: string;
  schema: unknown;
  shape?: ObjectShape;
  proto?: DescMessage;
  avro?: avro.Type;
}

export interface RouteFormats {
  /** Response formats in preference order (JSON first). */
  offered: Format[];
  has(name: FormatName): boolean;
  body?: Slot;
  /** By status key, as the response serializers. */
  responses: Map<string, Slot>;
}

/**
 * Builds the formats of one route; throws SchemaMapError (with the slot) when Protobuf or Avro is
 * wanted and a schema cannot map.
 *
 * @example
 * const f = routeFormats('GetTasks', { response: schema }, undefined);
 */
export function routeFormats(baseName: string, schemas: { body?: unknown; responses: [string, unknown][] }, wanted: readonly FormatName[] = FORMAT_NAMES): RouteFormats {
  const unknown = wanted.filter((n) => !FORMAT_NAMES.includes(n));
  if (unknown.length) throw new Error(`formats: unknown ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${FORMAT_NAMES.join(', ')})`);
  const want = new Set<FormatName>(['json', ...wanted]);
  const binary = want.has('protobuf') || want.has('avro');
  const slot = (name: string, schema: unknown): Slot => {
    const s: Slot = { name, schema: JSON.parse(JSON.stringify(schema)) };
    if (!binary) return s;
    try {
      s.shape = messageShape(schema, name);
    } catch (e) {
      if (e instanceof SchemaMapError) throw Object.assign(e, { message: `${name}: schema at ${e.message}` });
      throw e;
    }
    if (want.has('protobuf')) {
      const file = create(FileDescriptorProtoSchema, { name: `strata/functions/${name}.proto`, package: PROTO_PACKAGE, syntax: 'proto3', messageType: [descriptorProto(s.shape, PROTO_PACKAGE)] });
      s.proto = createFileRegistry(file, () => undefined).getMessage(`${PROTO_PACKAGE}.${name}`);
    }
    if (want.has('avro')) s.avro = avro.Type.forSchema(avroSchema(s.shape, PROTO_PACKAGE) as avro.Schema);
    return s;
  };
  const responses = new Map(schemas.responses.map(([status, schema]) => [status, slot(schemas.responses.length === 1 && status === '2xx' ? `${baseName}Response` : `${baseName}Response${status.replace(/x/g, 'X')}`, schema)]));
  const body = schemas.body === undefined ? undefined : slot(`${baseName}Body`, schemas.body);
  // XML, Protobuf and Avro need a schema to read and write: without one a route speaks JSON and MessagePack.
  const offered = FORMAT_NAMES.filter((n) => want.has(n) && (n === 'json' || n === 'msgpack' || responses.size > 0)).map((n) => FORMATS[n]);
  return { offered, has: (n) => want.has(n), body, responses };
}

// ---- encoding a (schema-filtered) response value ----

const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: false, suppressEmptyNode: false, processEntities: true });
const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const XML_NAME = /^(?!xml)[A-Za-z_][A-Za-z0-9_.-]*$/i;

function toXml(v: unknown): unknown {
  if (v === null || v === undefined) return { '@nil': 'true' };
  if (Array.isArray(v)) return { item: v.map(toXml) };
  // Keys that are not XML names (possible when a route leaves out Protobuf/Avro) become `_`, as in the records codec.
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [XML_NAME.test(k) ? k : '_', toXml(x)]));
  return String(v);
}

const int64 = (v: unknown) => BigInt(Math.trunc(Number(v)));

function protoInit(desc: DescMessage, shape: ObjectShape, value: Record<string, unknown>): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const f of shape.fields) {
    const v = value[f.name];
    if (v === undefined || v === null) continue;
    const df = desc.fields.find((x) => x.name === f.name)!;
    const one = (s: Shape, x: unknown): unknown => (s.kind === 'object' ? create(df.message!, protoInit(df.message!, s, x as Record<string, unknown>)) : s.kind === 'scalar' && s.type === 'int64' ? int64(x) : x);
    init[df.localName] = f.shape.kind === 'array' ? (v as unknown[]).map((x) => one((f.shape as { items: Shape }).items, x)) : one(f.shape, v);
  }
  return init;
}

function avroValue(shape: Shape, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (shape.kind === 'array') return (v as unknown[]).map((x) => avroValue(shape.items, x));
  if (shape.kind === 'object') return Object.fromEntries(shape.fields.map((f) => [f.name, avroValue(f.shape, (v as Record<string, unknown>)[f.name])]));
  return shape.type === 'int64' ? Math.trunc(Number(v)) : v;
}

/** Bytes of `value` (already passed through the response schema) in `name`; `slot` is the status's schema. */
export function encodeResponse(name: FormatName, value: unknown, slot: Slot | undefined): Buffer | string {
  switch (name) {
    case 'json':
      return JSON.stringify(value);
    case 'msgpack':
      return msgpackCodec.encodeValue(value);
    case 'xml':
      return DECL + xmlBuilder.build({ response: toXml(value) });
    case 'protobuf':
      return Buffer.from(toBinary(slot!.proto!, create(slot!.proto!, protoInit(slot!.proto!, slot!.shape!, value as Record<string, unknown>))));
    case 'avro':
      return slot!.avro!.toBuffer(avroValue(slot!.shape!, value));
  }
}

// ---- decoding a request body (validation against the schema follows) ----

const bad = (format: string, message: string): never => {
  throw new ValidationError(`The body is not acceptable ${format}: ${message}.`, [{ field: '', message }]);
};

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true, // predefined entities and character references only: DTDs are refused first
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
  isArray: (name) => name === 'item',
});

type Node = Record<string, unknown>;
const MAX_XML_DEPTH = 32;

/** XML text to a value guided by the JSON Schema; scalars stay text (the route's Ajv coerces them). */
function fromXml(node: unknown, schema: Node | undefined, depth: number): unknown {
  if (depth > MAX_XML_DEPTH) bad('XML', 'nested too deeply');
  const n = typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Node) : undefined;
  if (n && n['@nil'] === 'true') return null;
  const type = schema?.type;
  if (type === 'array') {
    const items = n ? ((n.item as unknown[] | undefined) ?? []) : [];
    return items.map((x) => fromXml(x, schema!.items as Node | undefined, depth + 1));
  }
  if (type === 'object' || (!type && n && Object.keys(n).some((k) => !k.startsWith('@') && k !== '#text'))) {
    const props = (schema?.properties ?? {}) as Record<string, Node>;
    const out: Node = {};
    for (const [k, v] of Object.entries(n ?? {})) {
      if (k.startsWith('@') || k === '#text') continue;
      let x = v;
      if (Array.isArray(x)) {
        if (k !== 'item' || x.length !== 1) bad('XML', `<${k}> appears more than once`);
        x = x[0];
      }
      const value = fromXml(x, props[k], depth + 1);
      if (value !== null) out[k] = value; // nil: absent (validation names a required one)
    }
    return out;
  }
  if (n) return n['#text'] !== undefined ? String(n['#text']) : Object.keys(n).every((k) => k.startsWith('@')) ? '' : bad('XML', 'an element that should hold text holds elements');
  return node === undefined ? '' : String(node);
}

function decodeXml(body: Buffer, schema: unknown): unknown {
  const src = body.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(src)) bad('XML', 'DOCTYPE and ENTITY declarations are not allowed');
  let doc: Node;
  try {
    doc = xmlParser.parse(src, true) as Node;
  } catch {
    return bad('XML', 'malformed XML');
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (roots.length !== 1 || roots[0] !== 'request') bad('XML', 'the root element must be <request>');
  const root = doc.request;
  return fromXml(root === '' ? {} : root, schema as Node, 0);
}

function fromProto(desc: DescMessage, shape: ObjectShape, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of shape.fields) {
    const df = desc.fields.find((x) => x.name === f.name) as DescField;
    const v = msg[df.localName];
    const one = (s: Shape, x: unknown): unknown => {
      if (s.kind === 'object') return fromProto(df.message!, s, x as Record<string, unknown>);
      if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : String(x);
      return x;
    };
    if (f.shape.kind === 'array') out[f.name] = (v as unknown[]).map((x) => one((f.shape as { items: Shape }).items, x));
    else if (isFieldSet(msg as never, df) || (!f.optional && f.shape.kind === 'scalar')) out[f.name] = one(f.shape, v);
  }
  return out;
}

function fromAvro(shape: Shape, v: unknown): unknown {
  if (shape.kind === 'array') return (v as unknown[]).map((x) => fromAvro(shape.items, x));
  if (shape.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const f of shape.fields) {
      const x = (v as Record<string, unknown>)[f.name];
      if (x !== null && x !== undefined) out[f.name] = fromAvro(f.shape, x); // null: not given
    }
    return out;
  }
  return v;
}

/** The request body in a schema format, as a plain value for the route's validator. */
export function decodeBody(formats: RouteFormats, mediaType: string, body: Buffer): unknown {
  const name = (['xml', 'protobuf', 'avro'] as const).find((n) => FORMATS[n].mediaTypes.includes(mediaType));
  const slot = formats.body;
  if (!name || !slot || !formats.has(name)) throw new UnsupportedMediaTypeError(['application/json', 'application/msgpack', ...(slot ? (['xml', 'protobuf', 'avro'] as const).filter((n) => formats.has(n)).map((n) => FORMATS[n].mediaTypes[0]) : [])]);
  if (name === 'xml') return decodeXml(body, slot.schema);
  if (name === 'protobuf') {
    let msg: Record<string, unknown>;
    try {
      msg = fromBinary(slot.proto!, new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { readUnknownFields: false }) as unknown as Record<string, unknown>;
    } catch {
      return bad('Protocol Buffers', `malformed ${slot.name} message`);
    }
    return fromProto(slot.proto!, slot.shape!, msg);
  }
  let v: unknown;
  try {
    v = slot.avro!.fromBuffer(body);
  } catch {
    return bad('Avro', `malformed ${slot.name} record`);
  }
  return fromAvro(slot.shape!, v);
}

/** All routes' messages as one .proto file (package strata.functions). */
export function functionsProtoSource(routes: Iterable<{ def: { method: string; path: string }; formats: RouteFormats }>): string {
  const out = ['// Generated by Strata from the function routes\' body and response schemas. Field numbers follow', '// property order in each schema: adding a property at the end keeps existing numbers.', 'syntax = "proto3";', '', `package ${PROTO_PACKAGE};`, ''];
  for (const r of routes) {
    if (!r.formats.has('protobuf')) continue;
    const slots = [...(r.formats.body ? [r.formats.body] : []), ...r.formats.responses.values()].filter((s) => s.shape);
    for (const s of slots) out.push(`// ${r.def.method} ${r.def.path}`, protoMessageSource(s.shape!), '');
  }
  return out.join('\n');
}

/** Every route's Avro record schemas by name (the names of functions.proto's messages). */
export function functionsAvroSchemas(routes: Iterable<{ formats: RouteFormats }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of routes) {
    if (!r.formats.has('avro')) continue;
    for (const s of [...(r.formats.body ? [r.formats.body] : []), ...r.formats.responses.values()]) if (s.shape) out[s.name] = avroSchema(s.shape, PROTO_PACKAGE);
  }
  return out;
}
