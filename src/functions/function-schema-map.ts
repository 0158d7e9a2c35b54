// A function route's TypeBox / JSON Schema object mapped to a Protocol Buffers (proto3) message
// and an Apache Avro 1.11 record schema: scalars, nested objects and arrays. Anything else (unions,
// maps, Any/Unknown, arrays of arrays, $ref) is refused with the JSON pointer of what cannot map.
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type } from '@bufbuild/protobuf/wkt';

export type ScalarKind = 'string' | 'int64' | 'double' | 'bool';
export type Shape = { kind: 'scalar'; type: ScalarKind } | { kind: 'object'; name: string; fields: FieldShape[] } | { kind: 'array'; items: Shape };
export interface FieldShape {
  name: string;
  number: number;
  /** Not in `required`, or nullable: may be absent on the wire. */
  optional: boolean;
  shape: Shape;
}
export type ObjectShape = Extract<Shape, { kind: 'object' }>;

/** A schema part with no Protobuf / Avro form; `pointer` is a JSON pointer into the schema. */
export class SchemaMapError extends Error {
  constructor(
    readonly pointer: string,
    reason: string,
  ) {
    super(`${pointer || '/'} ${reason}`);
    this.name = 'SchemaMapError';
  }
}

type Json = Record<string, unknown>;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');

const isNull = (s: unknown) => typeof s === 'object' && s !== null && (s as Json).type === 'null';

/** `anyOf: [X, null]` and `type: [X, 'null']` are X, optional. */
function unwrapNullable(s: Json): { schema: Json; nullable: boolean } {
  const alts = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(alts) && alts.length === 2 && alts.some(isNull)) return { schema: alts.find((a) => !isNull(a)) as Json, nullable: true };
  if (Array.isArray(s.type) && s.type.length === 2 && s.type.includes('null')) return { schema: { ...s, type: s.type.find((t) => t !== 'null') }, nullable: true };
  return { schema: s, nullable: false };
}

function isStringEnum(s: Json): boolean {
  if (typeof s.const === 'string') return true;
  if (Array.isArray(s.enum)) return s.enum.length > 0 && s.enum.every((v) => typeof v === 'string');
  const alts = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  return Array.isArray(alts) && alts.length > 0 && alts.every((a) => typeof a === 'object' && a !== null && typeof (a as Json).const === 'string');
}

function shapeOf(s: Json, pointer: string, name: string): Shape {
  if (typeof s !== 'object' || s === null) throw new SchemaMapError(pointer, 'is not a schema object');
  if (s.$ref !== undefined) throw new SchemaMapError(pointer, 'is a $ref; inline the schema');
  if (isStringEnum(s)) return { kind: 'scalar', type: 'string' };
  switch (s.type) {
    case 'string':
      return { kind: 'scalar', type: 'string' };
    case 'integer':
      return { kind: 'scalar', type: 'int64' };
    case 'number':
      return { kind: 'scalar', type: 'double' };
    case 'boolean':
      return { kind: 'scalar', type: 'bool' };
    case 'array': {
      const items = s.items;
      if (typeof items !== 'object' || items === null || Array.isArray(items)) throw new SchemaMapError(pointer, 'is an array without one `items` schema (tuples have no Protobuf/Avro form)');
      const inner = shapeOf(items as Json, `${pointer}/items`, `${name}Item`);
      if (inner.kind === 'array') throw new SchemaMapError(`${pointer}/items`, 'is an array of arrays, which Protobuf cannot carry; wrap the inner array in an object');
      // Zero-byte Avro items would let a few bytes claim billions of them.
      if (inner.kind === 'object' && carriesNothing(inner)) throw new SchemaMapError(`${pointer}/items`, 'is an object without properties; an array of them carries nothing');
      return { kind: 'array', items: inner };
    }
    case 'object':
      return objectShape(s, pointer, name);
    case undefined:
      throw new SchemaMapError(pointer, `has no single type (${s.anyOf || s.oneOf ? 'a union' : 'Any/Unknown'}), so it has no Protobuf/Avro form`);
    default:
      throw new SchemaMapError(pointer, `has type ${JSON.stringify(s.type)}, which has no Protobuf/Avro form`);
  }
}

const carriesNothing = (s: ObjectShape): boolean => s.fields.every((f) => f.shape.kind === 'object' && carriesNothing(f.shape));

function objectShape(s: Json, pointer: string, name: string): ObjectShape {
  const extra = s.additionalProperties ?? s.patternProperties;
  if (extra !== undefined && extra !== false) throw new SchemaMapError(pointer, 'allows arbitrary keys (a map / Record), which has no Protobuf/Avro message form');
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const used = new Set<string>();
  const fields = Object.entries(props).map(([key, raw], i): FieldShape => {
    const at = `${pointer}/properties/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!NAME.test(key)) throw new SchemaMapError(at, 'is not a valid Protobuf/Avro field name (letters, digits and _, not starting with a digit)');
    const { schema, nullable } = unwrapNullable(raw);
    let nested = pascal(key) || 'Field';
    while (used.has(nested)) nested += '_';
    used.add(nested);
    return { name: key, number: i + 1, optional: nullable || !required.has(key), shape: shapeOf(schema, at, nested) };
  });
  return { kind: 'object', name, fields };
}

/**
 * The message shape of a schema whose top level is an object; throws SchemaMapError otherwise.
 *
 * @example
 * messageShape(Type.Object({ id: Type.String(), tags: Type.Array(Type.String()) }), 'GetTaskResponse');
 */
export function messageShape(schema: unknown, name: string): ObjectShape {
  const s = JSON.parse(JSON.stringify(schema)) as Json; // TypeBox's symbol keys dropped
  const { schema: top } = unwrapNullable(s);
  if (top.type !== 'object') throw new SchemaMapError('', 'is not an object: Protobuf and Avro need a message at the top level');
  return objectShape(top, '', name);
}

// ---- Protocol Buffers ----

const PROTO_TYPE = { string: FieldDescriptorProto_Type.STRING, int64: FieldDescriptorProto_Type.INT64, double: FieldDescriptorProto_Type.DOUBLE, bool: FieldDescriptorProto_Type.BOOL };

/** The element shape of a field (arrays are `repeated` of their items). */
const element = (f: FieldShape): { repeated: boolean; shape: Exclude<Shape, { kind: 'array' }> } =>
  f.shape.kind === 'array' ? { repeated: true, shape: f.shape.items as Exclude<Shape, { kind: 'array' }> } : { repeated: false, shape: f.shape };

/** A DescriptorProto init (for @bufbuild/protobuf) of the message, nested messages inside it. */
export function descriptorProto(m: ObjectShape, scope: string): Record<string, unknown> {
  const full = `${scope}.${m.name}`;
  const nested: Record<string, unknown>[] = [];
  const optionals: string[] = [];
  const field = m.fields.map((f) => {
    const { repeated, shape } = element(f);
    const proto3Optional = f.optional && !repeated && shape.kind === 'scalar';
    if (proto3Optional) optionals.push(f.name);
    if (shape.kind === 'object') nested.push(descriptorProto(shape, full));
    return {
      name: f.name,
      jsonName: f.name,
      number: f.number,
      label: repeated ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
      ...(shape.kind === 'object' ? { type: FieldDescriptorProto_Type.MESSAGE, typeName: `.${full}.${shape.name}` } : { type: PROTO_TYPE[shape.type] }),
      ...(proto3Optional ? { proto3Optional: true, oneofIndex: optionals.length - 1 } : {}),
    };
  });
  return { name: m.name, field, nestedType: nested, oneofDecl: optionals.map((n) => ({ name: `_${n}` })) };
}

/** The message as .proto source (proto3), indented by `depth`. */
export function protoMessageSource(m: ObjectShape, depth = 0): string {
  const pad = '  '.repeat(depth);
  const lines = [`${pad}message ${m.name} {`];
  for (const f of m.fields) {
    const { shape } = element(f);
    if (shape.kind === 'object') lines.push(protoMessageSource(shape, depth + 1));
  }
  for (const f of m.fields) {
    const { repeated, shape } = element(f);
    const label = repeated ? 'repeated ' : f.optional && shape.kind === 'scalar' ? 'optional ' : '';
    lines.push(`${pad}  ${label}${shape.kind === 'object' ? shape.name : shape.type} ${f.name} = ${f.number};`);
  }
  lines.push(`${pad}}`);
  return lines.join('\n');
}

// ---- Avro ----

const AVRO_TYPE = { string: 'string', int64: 'long', double: 'double', bool: 'boolean' };

/** The Avro record schema; nested records are named `<Parent>_<Field>` so names stay unique. */
export function avroSchema(m: ObjectShape, namespace?: string, prefix = ''): Record<string, unknown> {
  const name = prefix ? `${prefix}_${m.name}` : m.name;
  const type = (s: Shape): unknown => (s.kind === 'scalar' ? AVRO_TYPE[s.type] : s.kind === 'array' ? { type: 'array', items: type(s.items) } : avroSchema(s, undefined, name));
  return {
    type: 'record',
    name,
    ...(namespace ? { namespace } : {}),
    fields: m.fields.map((f) => (f.optional ? { name: f.name, type: ['null', type(f.shape)], default: null } : { name: f.name, type: type(f.shape) })),
  };
}
