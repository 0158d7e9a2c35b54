import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { closeObjects } from './function-schema-close.js';

type S = Record<string, any>;

test('closeObjects closes plain objects, nested ones and array items', () => {
  const s = closeObjects(Type.Object({ a: Type.Object({ b: Type.String() }), list: Type.Array(Type.Object({ c: Type.Number() })) })) as S;
  assert.equal(s.additionalProperties, false);
  assert.equal(s.properties.a.additionalProperties, false);
  assert.equal(s.properties.list.items.additionalProperties, false);
});

test('closeObjects leaves open what the author left open: maps, explicit additionalProperties, allOf members', () => {
  assert.equal((closeObjects(Type.Record(Type.String(), Type.String())) as S).additionalProperties, undefined);
  assert.equal((closeObjects(Type.Object({ a: Type.String() }, { additionalProperties: true })) as S).additionalProperties, true);
  const both = closeObjects(Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })])) as S;
  for (const m of both.allOf) assert.equal(m.additionalProperties, undefined);
});

test('closeObjects closes the object of a nullable union, not unions of several objects', () => {
  const nullable = closeObjects(Type.Union([Type.Object({ a: Type.String() }), Type.Null()])) as S;
  assert.equal(nullable.anyOf[0].additionalProperties, false);
  const two = closeObjects(Type.Union([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })])) as S;
  for (const m of two.anyOf) assert.equal(m.additionalProperties, undefined);
});

test('closeObjects does not change the schema it is given', () => {
  const input = Type.Object({ a: Type.Object({ b: Type.String() }) });
  closeObjects(input);
  assert.equal((input as S).additionalProperties, undefined);
  assert.equal((input as S).properties.a.additionalProperties, undefined);
});
