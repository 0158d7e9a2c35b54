// application/msgpack (MessagePack spec) via msgpackr, with msgpackr's record extension off
// so untrusted input only yields plain maps, arrays and scalars.
import { Packr, Unpackr } from 'msgpackr';
import { ValidationError } from '../core/index.js';
import type { RecordCodec } from './codec.js';
import { MEDIA_TYPES } from './media-types.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

function decode(body: Buffer): unknown {
  try {
    return unpackr.unpack(body);
  } catch {
    throw new ValidationError('The body is not valid MessagePack.', [{ field: '', message: 'malformed MessagePack' }]);
  }
}

export const msgpackCodec = {
  name: 'msgpack',
  mediaTypes: MEDIA_TYPES.msgpack,
  generic: true,
  supports: () => true,
  encodeRecord: (_c, rec) => packr.pack(rec),
  encodeList: (_c, list) => packr.pack(list),
  decodeRecord: (_c, body) => decode(body),
  encodeValue: (v) => packr.pack(v),
  decodeValue: decode,
} satisfies RecordCodec;
