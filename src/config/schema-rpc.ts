// Config section for the rpc capability: gRPC, gRPC-Web and Connect services from collections.
import { Type } from '@sinclair/typebox';

export const RpcSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve gRPC (HTTP/2: TLS, or h2c with `server.http.h2c`), gRPC-Web and Connect for every base collection on the REST ports.' }),
    maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 4 * 1024 * 1024, description: 'Largest request or response message, in bytes (RESOURCE_EXHAUSTED above).' }),
    reflection: Type.Boolean({ default: true, description: 'Serve gRPC server reflection (grpc.reflection.v1 and v1alpha) so tools such as grpcurl discover the services.' }),
    watchHeartbeat: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000, description: 'A Watch stream with no event for this many ms sends an `action: "heartbeat"` message, keeping it alive through idle timeouts (0 = never).' }),
    watchBuffer: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'Record events a Watch stream may hold for a slow client before it is ended with RESOURCE_EXHAUSTED.' }),
  },
  { default: {}, additionalProperties: false },
);
