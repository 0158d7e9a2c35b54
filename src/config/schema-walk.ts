// Walks the config schema's leaves: their dotted keys, env names and types.
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';

export interface ConfigLeaf {
  key: string;
  env: string;
  schema: TSchema;
  description: string;
  default: unknown;
}

/** `server.http.port` → `STRATA_SERVER_HTTP_PORT`; `dataDir` → `STRATA_DATA_DIR`. */
export function envName(key: string): string {
  return 'STRATA_' + key.split('.').map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function isSection(s: TSchema): boolean {
  return s.type === 'object' && s.properties !== undefined;
}

export function configLeaves(schema: TSchema = ConfigSchema, prefix = ''): ConfigLeaf[] {
  const out: ConfigLeaf[] = [];
  for (const [name, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isSection(child)) out.push(...configLeaves(child, key));
    else out.push({ key, env: envName(key), schema: child, description: String(child.description ?? ''), default: child.default });
  }
  return out;
}

/** A human description of what a leaf accepts, for error messages and docs. */
export function describeType(s: TSchema): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map(describeType).join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  switch (s.type) {
    case 'integer':
    case 'number': {
      const range = s.minimum !== undefined || s.maximum !== undefined ? ` ${s.minimum ?? '-∞'}..${s.maximum ?? '∞'}` : '';
      return `${s.type}${range}`;
    }
    case 'string':
      return s.pattern ? `string matching ${s.pattern}` : s.minLength ? 'non-empty string' : 'string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return `list of ${describeType(s.items as TSchema)}`;
    case 'object':
      return 'object';
    default:
      return 'value';
  }
}

/** Turns an env var or CLI string into the leaf's type; returns the string unchanged when nothing fits (validation then names it). */
export function coerce(raw: string, s: TSchema): unknown {
  const options: TSchema[] = Array.isArray(s.anyOf) ? (s.anyOf as TSchema[]) : [s];
  for (const o of options) {
    if (o.const !== undefined && String(o.const) === raw) return o.const;
    if ((o.type === 'integer' && /^-?\d+$/.test(raw)) || (o.type === 'number' && raw.trim() !== '' && !Number.isNaN(Number(raw)))) return Number(raw);
    if (o.type === 'boolean' && /^(true|false|1|0|yes|no|on|off)$/i.test(raw)) return /^(true|1|yes|on)$/i.test(raw);
    if (o.type === 'object' || o.type === 'array') {
      try {
        return JSON.parse(raw);
      } catch {
        if (o.type === 'array') return raw.split(',').map((x) => x.trim()).filter(Boolean);
      }
    }
  }
  for (const o of options) if (o.type === 'string' && o.const === undefined) return raw;
  return raw;
}
