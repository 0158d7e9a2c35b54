// Closes a route's input schemas (JSON Schema 2020-12 / TypeBox) so that properties they do not
// declare never reach a handler: Ajv's `removeAdditional: true` (and a plain validation in reject
// mode) only acts where an object says `additionalProperties: false`, which TypeBox's
// `Type.Object` does not say by default.

/** Keys of a schema whose values are schemas, closed in turn. */
const SCHEMA_VALUES = ['items', 'contains', 'additionalItems', 'unevaluatedItems', 'propertyNames'] as const;
/** Keys whose values are maps of name → schema. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function isObjectSchema(s: Json): boolean {
  return s.type === 'object' || (s.type === undefined && isObject(s.properties));
}

/**
 * A copy of `schema` in which every object schema that lists `properties` and says nothing about
 * other keys (no `additionalProperties`, `patternProperties` or `unevaluatedProperties`) gets
 * `additionalProperties: false`. Maps (`Type.Record`), objects the author left open on purpose
 * (`additionalProperties: true` or a schema) and `allOf` members are left as written (closing one
 * member of an intersection would refuse the others' keys). In `anyOf`/`oneOf`, an object branch
 * is closed when it is the only object branch (a nullable object); several object branches are
 * left open, since a failing branch would strip the keys of the one that matches.
 *
 * @example
 * closeObjects(Type.Object({ a: Type.String() })) // { type: 'object', properties: { a: ... }, required: ['a'], additionalProperties: false }
 */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isObject(schema)) return schema;
  const out: Json = { ...schema };
  for (const k of SCHEMA_VALUES) if (k in out) out[k] = closeObjects(out[k]);
  if (Array.isArray(out.prefixItems)) out.prefixItems = out.prefixItems.map(closeObjects);
  if (isObject(out.additionalProperties)) out.additionalProperties = closeObjects(out.additionalProperties);
  for (const k of SCHEMA_MAPS) {
    const m = out[k];
    if (isObject(m)) out[k] = Object.fromEntries(Object.entries(m).map(([name, s]) => [name, closeObjects(s)]));
  }
  for (const k of ['anyOf', 'oneOf'] as const) {
    const branches = out[k];
    if (!Array.isArray(branches)) continue;
    const objects = branches.filter((b) => isObject(b) && isObjectSchema(b));
    out[k] = branches.map((b) => (objects.length > 1 && objects.includes(b) ? b : closeObjects(b)));
  }
  if (
    isObjectSchema(out) &&
    isObject(out.properties) &&
    out.additionalProperties === undefined &&
    out.patternProperties === undefined &&
    out.unevaluatedProperties === undefined &&
    out.allOf === undefined
  ) {
    out.additionalProperties = false;
  }
  return out;
}
