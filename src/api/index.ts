/** @module API: REST for records with content negotiation (JSON, XML, Protocol Buffers, Avro, MessagePack), generated .proto/.avsc and OpenAPI 3.1. */
export { recordsRoutes, DEFAULT_CODECS, type RecordsRoutesDeps, type AccessRule, type RecordAction } from './records-routes.js';
export type { RecordCodec } from './codecs/codec.js';
export { jsonCodec } from './codecs/json.js';
export { xmlCodec } from './codecs/xml.js';
export { protobufCodec, protoSource, recordMessageProtos, recordInit, recordFromMessage } from './codecs/protobuf.js';
export { avroCodec, avroRecordSchema, avroListSchema } from './codecs/avro.js';
export { msgpackCodec } from './codecs/msgpack.js';
export { openapiDocument } from './openapi.js';
export { chooseRequestCodec, chooseResponseCodec, NotAcceptableError, UnsupportedMediaTypeError } from './negotiate.js';
export { adminCollectionsRoutes, type AdminCollectionsRoutesDeps } from './admin-collections-routes.js';
export * from './auth/index.js';
