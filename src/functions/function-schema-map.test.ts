// TypeBox schemas to Protobuf / Avro shapes: what maps, and what is refused with its schema path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import avro from 'avsc';
import { avroSchema, messageShape, protoMessageSource, SchemaMapError } from './function-schema-map.js';

test('scalars, string unions, nullable, nested objects and arrays map', () => {
  const s = messageShape(
    Type.Object({
      id: Type.String(),
      n: Type.Optional(Type.Integer()),
      kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
      score: Type.Union([Type.Number(), Type.Null()]),
      tags: Type.Array(Type.String()),
      owner: Type.Object({ name: Type.String(), ok: Type.Boolean() }),
      items: Type.Array(Type.Object({ sku: Type.String() })),
    }),
    'M',
  );
  assert.equal(
    protoMessageSource(s),
    [
      'message M {',
      '  message Owner {',
      '    string name = 1;',
      '    bool ok = 2;',
      '  }',
      '  message ItemsItem {',
      '    string sku = 1;',
      '  }',
      '  string id = 1;',
      '  optional int64 n = 2;',
      '  string kind = 3;',
      '  optional double score = 4;',
      '  repeated string tags = 5;',
      '  Owner owner = 6;',
      '  repeated ItemsItem items = 7;',
      '}',
    ].join('\n'),
  );
  const t = avro.Type.forSchema(avroSchema(s, 'x') as avro.Schema);
  const v = { id: 'a', n: null, kind: 'b', score: 1.5, tags: ['t'], owner: { name: 'o', ok: true }, items: [{ sku: 's' }] };
  assert.deepEqual(JSON.parse(JSON.stringify(t.fromBuffer(t.toBuffer(v)))), v);
});

test('what has no Protobuf/Avro form is refused with its JSON pointer', () => {
  const cases: [unknown, string, RegExp][] = [
    [Type.Object({ m: Type.Record(Type.String(), Type.Integer()) }), '/properties/m', /arbitrary keys/],
    [Type.Object({ u: Type.Union([Type.String(), Type.Integer()]) }), '/properties/u', /union/],
    [Type.Object({ a: Type.Any() }), '/properties/a', /Any\/Unknown/],
    [Type.Object({ g: Type.Array(Type.Array(Type.String())) }), '/properties/g/items', /array of arrays/],
    [Type.Object({ t: Type.Tuple([Type.String(), Type.Integer()]) }), '/properties/t', /tuples/],
    [Type.Object({ o: Type.Object({ deep: Type.Array(Type.Object({})) }) }), '/properties/o/properties/deep/items', /carries nothing/],
    [Type.Object({ 'x-y': Type.String() }), '/properties/x-y', /not a valid Protobuf\/Avro field name/],
    [Type.Array(Type.String()), '', /not an object/],
  ];
  for (const [schema, pointer, reason] of cases) {
    assert.throws(() => messageShape(schema, 'M'), (e: unknown) => {
      assert.ok(e instanceof SchemaMapError, String(e));
      assert.equal(e.pointer, pointer);
      assert.match(e.message, reason);
      return true;
    });
  }
});
