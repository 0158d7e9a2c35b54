// JSON Schema (TypeBox output included) to a TypeScript type expression, for the generated client.
// Covers what route and collection schemas use; anything else becomes `unknown`.

type Json = Record<string, unknown>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));

/**
 * @example
 * schemaToTs({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }) // '{ id: string }'
 */
export function schemaToTs(schema: unknown, depth = 0): string {
  if (depth > 20 || typeof schema !== 'object' || schema === null) return 'unknown';
  const s = schema as Json;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ') || 'never';
  for (const k of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[k])) return (s[k] as unknown[]).map((x) => schemaToTs(x, depth + 1)).join(' | ') || 'never';
  if (Array.isArray(s.allOf)) return (s.allOf as unknown[]).map((x) => schemaToTs(x, depth + 1)).join(' & ') || 'unknown';
  if (Array.isArray(s.type)) return (s.type as string[]).map((t) => schemaToTs({ ...s, type: t }, depth + 1)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${schemaToTs(s.items, depth + 1)}>`;
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      const fields = Object.entries(props).map(([k, v]) => `${key(k)}${required.has(k) ? '' : '?'}: ${schemaToTs(v, depth + 1)}`);
      if (s.additionalProperties !== false && s.additionalProperties !== undefined) fields.push(`[key: string]: ${s.additionalProperties === true ? 'unknown' : schemaToTs(s.additionalProperties, depth + 1)}`);
      else if (Object.keys(props).length === 0 && s.additionalProperties === undefined) return 'Record<string, unknown>';
      return `{ ${fields.join('; ')} }`;
    }
    default:
      return 'unknown';
  }
}
