/** @module Formats: the media-type registry and the body codecs (JSON, XML, Protocol Buffers, Avro, MessagePack) with RFC 9110 content negotiation; used by the records API, functions, RPC and the WAF. */
export { BODY_MEDIA_TYPES, FORMAT_NAMES, MEDIA_TYPES, RPC_MEDIA_TYPES, mediaTypeOf, type FormatName } from './media-types.js';
export type { RecordCodec } from './codec.js';
export { jsonCodec } from './json.js';
export { xmlCodec } from './xml.js';
export { protobufCodec, protoSource, recordMessageProtos, recordInit, recordFromMessage } from './protobuf.js';
export { avroCodec, avroRecordSchema, avroListSchema } from './avro.js';
export { msgpackCodec } from './msgpack.js';
export { chooseRequestCodec, chooseResponseCodec, NotAcceptableError, UnsupportedMediaTypeError } from './negotiate.js';

import { avroCodec } from './avro.js';
import type { RecordCodec } from './codec.js';
import { jsonCodec } from './json.js';
import { msgpackCodec } from './msgpack.js';
import { protobufCodec } from './protobuf.js';
import { xmlCodec } from './xml.js';

/** Every codec, in the order negotiation prefers them (JSON answers `*\/*`). A new format is a file and a line here. */
export const CODECS: readonly RecordCodec[] = [jsonCodec, xmlCodec, protobufCodec, avroCodec, msgpackCodec];
