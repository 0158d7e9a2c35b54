// The one media-type registry (RFC 6838 names): which media types each body format reads and
// writes. The records API, functions, the WAF's body inspection and OpenAPI all read it, so a
// new format is one codec file plus one line here.

export type FormatName = 'json' | 'xml' | 'protobuf' | 'avro' | 'msgpack';

/** Every format, in the order the API prefers them when a client accepts several. */
export const FORMAT_NAMES: readonly FormatName[] = ['json', 'msgpack', 'xml', 'protobuf', 'avro'];

/** Media types per format; the first is the one answers carry. */
export const MEDIA_TYPES: Readonly<Record<FormatName, readonly string[]>> = {
  json: ['application/json'],
  msgpack: ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'],
  xml: ['application/xml', 'text/xml'],
  protobuf: ['application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf', 'application/x-google-protobuf'],
  avro: ['application/avro', 'avro/binary', 'application/vnd.apache.avro+binary'],
};

/** gRPC, gRPC-Web and Connect bodies (the RPC room reads them; the WAF accepts them). */
export const RPC_MEDIA_TYPES: readonly string[] = [
  'application/grpc', 'application/grpc+proto', 'application/grpc-web', 'application/grpc-web+proto',
  'application/grpc-web-text', 'application/grpc-web-text+proto', 'application/connect+proto', 'application/proto',
];

/** Every request body media type some Strata route reads (the WAF's default allow-list adds the form and text types). */
export const BODY_MEDIA_TYPES: readonly string[] = [...Object.values(MEDIA_TYPES).flat(), ...RPC_MEDIA_TYPES];

/** The bare, lower-cased media type of a Content-Type header (`text/xml; charset=utf-8` → `text/xml`). */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}
