// The gRPC service of one collection, `strata.<collection>.RecordService`, as a run-time descriptor.
// Record and RecordList are the REST codec's messages (application/x-protobuf), byte for byte.
import type { DescFile, DescMessage, DescService, FileRegistry } from '@bufbuild/protobuf';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { recordMessageProtos } from '../../formats/index.js';
import type { Collection } from '../../data/index.js';
import { buildFile, message, service } from './rpc-descriptors.js';

export interface CollectionProto {
  collection: Collection;
  proto: FileDescriptorProto;
  file: DescFile;
  registry: FileRegistry;
  service: DescService;
  record: DescMessage;
  list: DescMessage;
  event: DescMessage;
}

/** Fully qualified service name of a collection. */
export const serviceName = (collection: string): string => `strata.${collection}.RecordService`;

/**
 * @example
 * const p = collectionProto(posts); // p.service.typeName === 'strata.posts.RecordService'
 */
export function collectionProto(c: Collection): CollectionProto {
  const pkg = `strata.${c.name}`;
  const t = (m: string) => `.${pkg}.${m}` as const;
  const messages = [
    ...recordMessageProtos(c),
    message('GetRequest', [
      ['id', 1, 'string'],
      ['fields', 2, 'string', 'optional'],
      ['expand', 3, 'string', 'optional'],
    ]),
    message('ListRequest', [
      ['filter', 1, 'string', 'optional'],
      ['sort', 2, 'string', 'optional'],
      ['page', 3, 'int32', 'optional'],
      ['per_page', 4, 'int32', 'optional'],
      ['cursor', 5, 'string', 'optional'],
      ['total_items', 6, 'bool', 'optional'],
      ['fields', 7, 'string', 'optional'],
      ['expand', 8, 'string', 'optional'],
    ]),
    message('CreateRequest', [['record', 1, t('Record')]]),
    message('UpdateRequest', [
      ['id', 1, 'string'],
      ['record', 2, t('Record')],
      ['if_match', 3, 'string', 'optional'],
    ]),
    message('DeleteRequest', [
      ['id', 1, 'string'],
      ['if_match', 2, 'string', 'optional'],
    ]),
    message('DeleteResponse', []),
    message('WatchRequest', [
      ['actions', 1, 'string', 'repeated'],
      ['record_id', 2, 'string', 'optional'],
    ]),
    message('RecordEvent', [
      ['id', 1, 'string'],
      ['action', 2, 'string'],
      ['record_id', 3, 'string'],
      ['record', 4, t('Record')],
      ['at', 5, 'string'],
    ]),
  ];
  const svc = service('RecordService', [
    ['Get', t('GetRequest'), t('Record')],
    ['List', t('ListRequest'), t('RecordList')],
    ['Create', t('CreateRequest'), t('Record')],
    ['Update', t('UpdateRequest'), t('Record')],
    ['Delete', t('DeleteRequest'), t('DeleteResponse')],
    ['Watch', t('WatchRequest'), t('RecordEvent'), 'server'],
  ]);
  const { proto, file, registry } = buildFile(`strata/${c.name}.proto`, pkg, messages, [svc]);
  return {
    collection: c,
    proto,
    file,
    registry,
    service: registry.getService(serviceName(c.name))!,
    record: registry.getMessage(`${pkg}.Record`)!,
    list: registry.getMessage(`${pkg}.RecordList`)!,
    event: registry.getMessage(`${pkg}.RecordEvent`)!,
  };
}
