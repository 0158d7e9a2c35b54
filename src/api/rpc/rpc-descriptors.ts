// Protocol Buffers descriptors built at run time (google/protobuf/descriptor.proto as data): a small
// builder for messages, enums and services, so each file below reads close to its .proto source.
import { create, createFileRegistry, type DescFile, type FileRegistry } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';

type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'double';
/** A field: [name, number, type (a scalar or `.full.MessageName` / `enum:.full.EnumName`), modifier]. */
export type FieldSpec = [name: string, number: number, type: Scalar | `.${string}` | `enum:.${string}`, modifier?: 'repeated' | 'optional' | `oneof:${string}`];

const SCALAR: Record<Scalar, FieldDescriptorProto_Type> = {
  string: FieldDescriptorProto_Type.STRING,
  bytes: FieldDescriptorProto_Type.BYTES,
  bool: FieldDescriptorProto_Type.BOOL,
  int32: FieldDescriptorProto_Type.INT32,
  int64: FieldDescriptorProto_Type.INT64,
  double: FieldDescriptorProto_Type.DOUBLE,
};

/** A DescriptorProto init for `message name { fields }`; proto3 `optional` and named oneofs supported. */
export function message(name: string, fields: FieldSpec[], nested: { enumType?: unknown[]; nestedType?: unknown[] } = {}) {
  const oneofs: string[] = [];
  const field = fields.map(([fname, number, type, mod]) => {
    let oneofIndex: number | undefined;
    let proto3Optional = false;
    if (mod === 'optional') {
      oneofs.push(`_${fname}`);
      oneofIndex = oneofs.length - 1;
      proto3Optional = true;
    } else if (mod?.startsWith('oneof:')) {
      const o = mod.slice(6);
      if (!oneofs.includes(o)) oneofs.push(o);
      oneofIndex = oneofs.indexOf(o);
    }
    const isEnum = type.startsWith('enum:');
    const isMsg = type.startsWith('.');
    return {
      name: fname,
      number,
      label: mod === 'repeated' ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
      type: isEnum ? FieldDescriptorProto_Type.ENUM : isMsg ? FieldDescriptorProto_Type.MESSAGE : SCALAR[type as Scalar],
      ...(isEnum ? { typeName: type.slice(5) } : isMsg ? { typeName: type } : {}),
      ...(oneofIndex !== undefined ? { oneofIndex } : {}),
      ...(proto3Optional ? { proto3Optional } : {}),
    };
  });
  // Synthetic oneofs of proto3 optional fields must come after the real ones.
  const real = oneofs.filter((o) => !o.startsWith('_'));
  const order = [...real, ...oneofs.filter((o) => o.startsWith('_'))];
  for (const f of field) if (f.oneofIndex !== undefined) f.oneofIndex = order.indexOf(oneofs[f.oneofIndex]);
  return { name, field, oneofDecl: order.map((n) => ({ name: n })), ...nested };
}

export function enumType(name: string, values: string[]) {
  return { name, value: values.map((v, number) => ({ name: v, number })) };
}

/** A ServiceDescriptorProto init; `stream` marks server (`server`) or both-way (`bidi`) streaming. */
export function service(name: string, methods: Array<[name: string, input: string, output: string, stream?: 'server' | 'bidi']>) {
  return {
    name,
    method: methods.map(([m, inputType, outputType, stream]) => ({ name: m, inputType, outputType, clientStreaming: stream === 'bidi', serverStreaming: stream !== undefined })),
  };
}

/** protoc's json_name: `per_page` → `perPage`. */
export const jsonName = (field: string): string => field.replace(/_+([a-zA-Z0-9])/g, (_m, ch: string) => ch.toUpperCase());

interface MessageInit {
  field?: Array<{ name: string; jsonName?: string }>;
  nestedType?: MessageInit[];
}

/** Fills json_name as protoc does; without it the JSON forms (Connect, gRPC-Web JSON) have no field names. */
function withJsonNames<T>(m: T): T {
  const init = m as MessageInit;
  return { ...init, field: init.field?.map((f) => ({ ...f, jsonName: f.jsonName || jsonName(f.name) })), nestedType: init.nestedType?.map(withJsonNames) } as T;
}

/** A proto3 file descriptor and its registry (the file has no imports). */
export function buildFile(name: string, pkg: string, messageType: unknown[], services: unknown[] = []): { proto: FileDescriptorProto; file: DescFile; registry: FileRegistry } {
  const proto = create(FileDescriptorProtoSchema, { name, package: pkg, syntax: 'proto3', messageType: messageType.map(withJsonNames) as never, service: services as never });
  const registry = createFileRegistry(proto, () => undefined);
  const file = registry.getFile(name);
  if (!file) throw new Error(`descriptor ${name} did not build`);
  return { proto, file, registry };
}
