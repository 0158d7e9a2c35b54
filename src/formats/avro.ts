// Avro binary encoding (Apache Avro 1.11 spec) via avsc, with record schemas built from the
// collection (served at .../schema.avsc). Optional fields are unions with null; json as JSON text.
import avro from 'avsc';
import { ValidationError } from '../core/index.js';
import type { Collection, ListResult, RecordData } from '../data/index.js';
import type { RecordCodec } from './codec.js';
import { MEDIA_TYPES } from './media-types.js';

type AvroSchema = Record<string, unknown>;

function fieldType(c: Collection, name: string): unknown {
  const f = c.fields.find((x) => x.name === name)!;
  if ((f.type === 'relation' || f.type === 'file') && f.multiple) return { type: 'array', items: 'string' };
  if (f.type === 'number') return 'double';
  if (f.type === 'integer') return 'long';
  if (f.type === 'boolean') return 'boolean';
  return 'string';
}

/** The Avro schema of one record of the collection. */
export function avroRecordSchema(c: Collection): AvroSchema {
  return {
    type: 'record',
    name: 'Record',
    namespace: `strata.${c.name}`,
    fields: [
      ...['id', 'created', 'updated'].map((name) => ({ name, type: ['null', 'string'], default: null })),
      ...c.fields.map((f) => ({ name: f.name, type: ['null', fieldType(c, f.name)], default: null })),
      { name: 'expand', type: ['null', 'string'], default: null, doc: 'Expanded relations as JSON text.' },
    ],
  };
}

/** The Avro schema of a list page (the record schema nested). */
export function avroListSchema(c: Collection): AvroSchema {
  return {
    type: 'record',
    name: 'RecordList',
    namespace: `strata.${c.name}`,
    fields: [
      { name: 'items', type: { type: 'array', items: avroRecordSchema(c) } },
      { name: 'page', type: 'int' },
      { name: 'perPage', type: 'int' },
      { name: 'totalItems', type: ['null', 'long'], default: null },
      { name: 'totalPages', type: ['null', 'long'], default: null },
      { name: 'nextCursor', type: ['null', 'string'], default: null },
    ],
  };
}

const cache = new WeakMap<Collection, { record: avro.Type; list: avro.Type }>();
function types(c: Collection) {
  let t = cache.get(c);
  if (!t) {
    t = { record: avro.Type.forSchema(avroRecordSchema(c) as avro.Schema), list: avro.Type.forSchema(avroListSchema(c) as avro.Schema) };
    cache.set(c, t);
  }
  return t;
}

function toAvro(c: Collection, rec: RecordData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['id', 'created', 'updated']) out[k] = rec[k] ?? null;
  for (const f of c.fields) {
    const v = rec[f.name];
    out[f.name] = v === undefined || v === null ? null : f.type === 'json' ? JSON.stringify(v) : v;
  }
  out.expand = rec.expand === undefined ? null : JSON.stringify(rec.expand);
  return out;
}

export const avroCodec = {
  name: 'avro',
  mediaTypes: MEDIA_TYPES.avro,
  generic: false,
  supports: (c) => c.type === 'base',
  encodeRecord: (c, rec) => types(c).record.toBuffer(toAvro(c, rec)),
  encodeList: (c, list: ListResult) =>
    types(c).list.toBuffer({
      items: list.items.map((r) => toAvro(c, r)),
      page: list.page,
      perPage: list.perPage,
      totalItems: list.totalItems ?? null,
      totalPages: list.totalPages ?? null,
      nextCursor: list.nextCursor,
    }),
  decodeRecord(c, body) {
    let v: Record<string, unknown>;
    try {
      v = types(c).record.fromBuffer(body) as Record<string, unknown>;
    } catch {
      throw new ValidationError('The body is not a valid Avro Record.', [{ field: '', message: 'malformed Avro' }]);
    }
    // null means "not given": Avro cannot tell an absent optional field from null
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null) continue;
      const f = c.fields.find((y) => y.name === k);
      if (f?.type === 'json') {
        try {
          out[k] = JSON.parse(String(x));
        } catch {
          throw new ValidationError('A json field does not hold JSON text.', [{ field: k, message: 'must hold JSON text' }]);
        }
      } else out[k] = x;
    }
    return out;
  },
} satisfies RecordCodec;
