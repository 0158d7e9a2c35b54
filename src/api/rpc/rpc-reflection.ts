// gRPC server reflection (grpc/reflection/v1/reflection.proto, and the v1alpha copy generic tools
// still ask for): lists the services and answers with serialized FileDescriptorProtos.
import { toBinary, type DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { buildFile, message, service } from './rpc-descriptors.js';

function reflectionFile(version: 'v1' | 'v1alpha') {
  const pkg = `grpc.reflection.${version}`;
  const t = (m: string) => `.${pkg}.${m}` as const;
  return buildFile(
    `grpc/reflection/${version}/reflection.proto`,
    pkg,
    [
      message('ServerReflectionRequest', [
        ['host', 1, 'string'],
        ['file_by_filename', 3, 'string', 'oneof:message_request'],
        ['file_containing_symbol', 4, 'string', 'oneof:message_request'],
        ['file_containing_extension', 5, t('ExtensionRequest'), 'oneof:message_request'],
        ['all_extension_numbers_of_type', 6, 'string', 'oneof:message_request'],
        ['list_services', 7, 'string', 'oneof:message_request'],
      ]),
      message('ExtensionRequest', [
        ['containing_type', 1, 'string'],
        ['extension_number', 2, 'int32'],
      ]),
      message('ServerReflectionResponse', [
        ['valid_host', 1, 'string'],
        ['original_request', 2, t('ServerReflectionRequest')],
        ['file_descriptor_response', 4, t('FileDescriptorResponse'), 'oneof:message_response'],
        ['all_extension_numbers_response', 5, t('ExtensionNumberResponse'), 'oneof:message_response'],
        ['list_services_response', 6, t('ListServiceResponse'), 'oneof:message_response'],
        ['error_response', 7, t('ErrorResponse'), 'oneof:message_response'],
      ]),
      message('FileDescriptorResponse', [['file_descriptor_proto', 1, 'bytes', 'repeated']]),
      message('ExtensionNumberResponse', [
        ['base_type_name', 1, 'string'],
        ['extension_number', 2, 'int32', 'repeated'],
      ]),
      message('ListServiceResponse', [['service', 1, t('ServiceResponse'), 'repeated']]),
      message('ServiceResponse', [['name', 1, 'string']]),
      message('ErrorResponse', [
        ['error_code', 1, 'int32'],
        ['error_message', 2, 'string'],
      ]),
    ],
    [service('ServerReflection', [['ServerReflectionInfo', t('ServerReflectionRequest'), t('ServerReflectionResponse'), 'bidi']])],
  );
}

export const reflectionV1 = reflectionFile('v1');
export const reflectionV1alpha = reflectionFile('v1alpha');

/** What reflection describes: every served file (no imports between them) and its services. */
export interface ReflectedFile {
  proto: FileDescriptorProto;
  services: readonly DescService[];
}

const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const UNIMPLEMENTED = 12;

interface ReflectionRequest {
  host: string;
  messageRequest: { case: string | undefined; value?: unknown };
}

/**
 * The ServerReflection implementation over `files` (the same for v1 and v1alpha).
 *
 * @example
 * router.service(reflectionV1.registry.getService('grpc.reflection.v1.ServerReflection')!, reflectionHandlers(files));
 */
export function reflectionHandlers(files: () => readonly ReflectedFile[]) {
  const index = () => {
    const bytes = new Map<string, Uint8Array>();
    const bySymbol = new Map<string, string>();
    for (const f of files()) {
      const name = f.proto.name;
      bytes.set(name, toBinary(FileDescriptorProtoSchema, f.proto));
      const pkg = f.proto.package ? `${f.proto.package}.` : '';
      for (const m of f.proto.messageType) {
        bySymbol.set(pkg + m.name, name);
        for (const n of m.nestedType) bySymbol.set(`${pkg}${m.name}.${n.name}`, name);
        for (const e of m.enumType) bySymbol.set(`${pkg}${m.name}.${e.name}`, name);
      }
      for (const e of f.proto.enumType) bySymbol.set(pkg + e.name, name);
      for (const s of f.proto.service) {
        bySymbol.set(pkg + s.name, name);
        for (const m of s.method) bySymbol.set(`${pkg}${s.name}.${m.name}`, name);
      }
    }
    return { bytes, bySymbol };
  };
  let cached: ReturnType<typeof index> | undefined;

  const answer = (req: ReflectionRequest) => {
    cached ??= index();
    const { bytes, bySymbol } = cached;
    const r = req.messageRequest;
    const fileResponse = (name: string | undefined) => (name && bytes.has(name) ? { case: 'fileDescriptorResponse', value: { fileDescriptorProto: [bytes.get(name)!] } } : undefined);
    const error = (code: number, msg: string) => ({ case: 'errorResponse', value: { errorCode: code, errorMessage: msg } });
    let response: unknown;
    switch (r.case) {
      case 'listServices':
        response = { case: 'listServicesResponse', value: { service: files().flatMap((f) => f.services.map((s) => ({ name: s.typeName }))) } };
        break;
      case 'fileByFilename':
        response = fileResponse(String(r.value)) ?? error(NOT_FOUND, 'file not found');
        break;
      case 'fileContainingSymbol':
        response = fileResponse(bySymbol.get(String(r.value).replace(/^\./, ''))) ?? error(NOT_FOUND, 'symbol not found');
        break;
      case 'fileContainingExtension':
        response = error(NOT_FOUND, 'no extensions are served');
        break;
      case 'allExtensionNumbersOfType':
        response = bySymbol.has(String(r.value)) ? { case: 'allExtensionNumbersResponse', value: { baseTypeName: String(r.value), extensionNumber: [] } } : error(NOT_FOUND, 'type not found');
        break;
      default:
        response = error(r.case === undefined ? INVALID_ARGUMENT : UNIMPLEMENTED, 'unknown request');
    }
    return { validHost: req.host, originalRequest: req, messageResponse: response };
  };

  return {
    async *serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
      for await (const req of requests) yield answer(req);
    },
  } as unknown as ServiceImpl<DescService>;
}
