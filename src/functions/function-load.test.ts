import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { schemaToTs } from './client-types.js';
import { defineCron, defineRoute } from './function-define.js';
import { assertNoDuplicates, cronName, identityOf, locate, type LoadedFunction } from './function-load.js';

const fn = (file: string, exportName: string, def: LoadedFunction['def']): LoadedFunction => ({ file, exportName, def });

test('route identity ignores parameter names and trailing slashes; duplicates name both files', () => {
  const a = fn('a.ts', 'default', defineRoute({ method: 'GET', path: '/t/:id/', handler: () => undefined }) as never);
  const b = fn('b/c.ts', 'get', defineRoute({ method: 'GET', path: '/t/:slug', handler: () => undefined }) as never);
  const c = fn('d.ts', 'post', defineRoute({ method: 'POST', path: '/t/:id', handler: () => undefined }) as never);
  assert.equal(identityOf(a), identityOf(b));
  assert.notEqual(identityOf(a), identityOf(c));
  assert.throws(() => assertNoDuplicates([a, c, b]), /declared twice: in a\.ts \(default\) and in b\/c\.ts \(get\)/);
  assert.doesNotThrow(() => assertNoDuplicates([a, c]));
});

test('cron names default to file and export', () => {
  assert.equal(cronName(fn('jobs/nightly.ts', 'default', defineCron({ schedule: '0 3 * * *', handler: () => undefined }) as never)), 'jobs.nightly:default');
  assert.equal(cronName(fn('x.ts', 'y', defineCron({ name: 'given', schedule: '* * * * *', handler: () => undefined }) as never)), 'given');
});

test('locate reads esbuild diagnostics and stack frames', () => {
  assert.deepEqual(locate(new Error('Transform failed with 1 error:\n/app/f.ts:3:9: ERROR: Unexpected "}"'), '/app/f.ts'), { line: 3, column: 9, message: 'Unexpected "}"' });
  const e = new Error('boom at import');
  e.stack = 'Error: boom at import\n    at file:///other.ts:1:1\n    at file:///app/g.ts:12:5';
  assert.deepEqual(locate(e, '/app/g.ts'), { line: 12, column: 5, message: 'boom at import' });
  assert.deepEqual(locate('weird', '/app/g.ts'), { message: 'weird' });
});

test('schemaToTs: TypeBox objects, optionals, unions, literals, arrays, nullable', () => {
  const s = Type.Object({ id: Type.String(), n: Type.Optional(Type.Integer()), kind: Type.Union([Type.Literal('a'), Type.Literal('b')]), tags: Type.Array(Type.String()), 'x-y': Type.Boolean() });
  assert.equal(schemaToTs(JSON.parse(JSON.stringify(s))), '{ id: string; n?: number; kind: "a" | "b"; tags: Array<string>; "x-y": boolean }');
  assert.equal(schemaToTs({ type: ['string', 'null'] }), 'string | null');
  assert.equal(schemaToTs({ type: 'object' }), 'Record<string, unknown>');
  assert.equal(schemaToTs({ type: 'object', properties: { a: { enum: [1, 2] } }, additionalProperties: true }), '{ a?: 1 | 2; [key: string]: unknown }');
  assert.equal(schemaToTs(undefined), 'unknown');
});
