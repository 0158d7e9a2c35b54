// The codec contract for record bodies: one file per media type (JSON, XML, Protocol Buffers,
// Avro, MessagePack), chosen by content negotiation (RFC 9110 §12).
import type { Collection, ListResult, RecordData } from '../data/index.js';
import type { FormatName } from './media-types.js';

export { mediaTypeOf } from './media-types.js';

export interface RecordCodec {
  readonly name: FormatName;
  /** Media types this codec reads and writes; the first is the one it answers with. */
  readonly mediaTypes: readonly string[];
  /** Whether it can carry a collection (document collections need a schemaless format). */
  supports(c: Collection): boolean;
  /** Also handles free-form bodies (batch requests). */
  readonly generic: boolean;
  encodeRecord(c: Collection, rec: RecordData): Buffer | string;
  encodeList(c: Collection, list: ListResult): Buffer | string;
  /** Record input (create/update); `partial` for PATCH. Throws ValidationError on malformed bytes. */
  decodeRecord(c: Collection, body: Buffer, partial: boolean): unknown;
  /** Free-form value (generic codecs only). */
  encodeValue?(v: unknown): Buffer | string;
  decodeValue?(body: Buffer): unknown;
}

