// OpenAPI 3.1 path items for function routes, from their TypeBox / JSON Schemas.
import type { CompiledRoute } from './function-routes.js';
import { isStatusMap } from './function-routes.js';
import type { Schema } from './function-define.js';
import { FORMAT_NAMES, FORMATS } from './function-formats.js';

type Json = Record<string, unknown>;

/** A plain JSON copy of a schema (TypeBox's symbol keys dropped). */
const plain = (s: Schema | undefined): Json | undefined => (s === undefined ? undefined : (JSON.parse(JSON.stringify(s)) as Json));

function parameters(schema: Schema | undefined, where: 'path' | 'query'): Json[] {
  const s = plain(schema);
  const props = (s?.properties ?? {}) as Record<string, Json>;
  const required = new Set((s?.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: p, ...(typeof p.description === 'string' ? { description: p.description } : {}) }));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } });

/** Path items keyed by OpenAPI path (`/api/tasks/{id}`), one operation per route. */
export function openapiPaths(routes: Iterable<CompiledRoute>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const r of routes) {
    const path = r.def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.def.schema ?? {};
    const responses: Json = {};
    // The same schema under every media type the route speaks (Protobuf/Avro messages: /api/functions.proto, .avsc).
    const types = r.formats.offered.map((f) => f.mediaTypes[0]);
    const content = (schema: Schema) => Object.fromEntries(types.map((t) => [t, { schema: plain(schema) }]));
    if (s.response && isStatusMap(s.response)) {
      for (const [status, schema] of Object.entries(s.response)) responses[status] = { description: `Status ${status}`, content: content(schema) };
    } else if (s.response) {
      responses['200'] = { description: 'Success', content: content(s.response as Schema) };
    } else responses['200'] = { description: 'Success' };
    responses['400'] = problem('Invalid input');
    if (r.auth !== 'public') responses['401'] = problem('Authentication required');
    if (r.auth === 'superuser') responses['403'] = problem('Superusers only');
    responses['504'] = problem('The handler timed out');
    const op: Json = {
      operationId: `fn_${r.def.method.toLowerCase()}_${r.def.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      summary: r.def.summary ?? `${r.def.method} ${r.def.path} (${r.file})`,
      parameters: [...parameters(s.params, 'path'), ...parameters(s.query, 'query')],
      responses,
      ...(r.auth === 'public' ? { security: [] } : {}),
    };
    if (s.body) op.requestBody = { required: true, content: Object.fromEntries(FORMAT_NAMES.filter((n) => r.formats.has(n)).map((n) => [FORMATS[n].mediaTypes[0], { schema: plain(s.body) }])) };
    out[path] = { ...(out[path] ?? {}), [r.def.method.toLowerCase()]: op };
  }
  return out;
}
