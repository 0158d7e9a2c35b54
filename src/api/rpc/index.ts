/** @module RPC: gRPC, gRPC-Web and Connect services generated from collections, with server reflection and health, on the REST port. */
export { createRpc, type Rpc, type RpcOptions } from './rpc-plugin.js';
export { recordWatch, SlowConsumerError, type RecordWatch, type RecordWatchDeps } from './record-watch.js';
export { collectionProto, serviceName, type CollectionProto } from './collection-proto.js';
export { principalFromMetadata, type RpcAuthServices } from './rpc-auth.js';
export { toConnectError, codeFor } from './rpc-errors.js';
export { protoSourceOf } from './rpc-proto-source.js';
