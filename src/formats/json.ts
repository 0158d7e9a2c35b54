// application/json (RFC 8259); bodies parsed by JSON.parse into own properties only.
import { ValidationError } from '../core/index.js';
import type { RecordCodec } from './codec.js';
import { MEDIA_TYPES } from './media-types.js';

export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON.', [{ field: '', message: 'malformed JSON' }]);
  }
}

export const jsonCodec = {
  name: 'json',
  mediaTypes: MEDIA_TYPES.json,
  generic: true,
  supports: () => true,
  encodeRecord: (_c, rec) => JSON.stringify(rec),
  encodeList: (_c, list) => JSON.stringify(list),
  decodeRecord: (_c, body) => parseJsonBody(body),
  encodeValue: (v) => JSON.stringify(v),
  decodeValue: parseJsonBody,
} satisfies RecordCodec;
