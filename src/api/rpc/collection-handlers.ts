// The RecordService methods of one collection over the records access layer: the same validation,
// access rules (filters, expand and relations included) and errors as REST, with record messages in place of JSON.
import { create, type MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { Principal } from '../../core/index.js';
import { ValidationError } from '../../core/index.js';
import { recordFromMessage, recordInit } from '../../formats/index.js';
import type { RecordAccess, RecordData } from '../../data/index.js';
import type { CollectionProto } from './collection-proto.js';
import { toConnectError } from './rpc-errors.js';
import type { RecordWatch } from './record-watch.js';

export interface CollectionHandlerDeps {
  /** Every read and write goes through the records access layer, as the caller. */
  access: () => RecordAccess;
  /** The caller of this RPC (from its metadata). */
  principal: (ctx: HandlerContext) => Promise<Principal | null>;
  watch: RecordWatch;
  /** A Watch with no event for this long sends `action: "heartbeat"` (0 = never). */
  heartbeatMs?: number;
  /** Throws when the caller's credential was revoked since the call began (checked before each Watch event). */
  current?: (ctx: HandlerContext) => Promise<void>;
}

const HEARTBEAT = Symbol('heartbeat');

/** `next`, or HEARTBEAT when `ms` pass first (the pending `next` stays valid for the following wait). */
function withHeartbeat<T>(next: Promise<T>, ms: number | undefined): Promise<T | typeof HEARTBEAT> {
  if (!ms) return next;
  let timer: NodeJS.Timeout | undefined;
  const beat = new Promise<typeof HEARTBEAT>((resolve) => {
    timer = setTimeout(() => resolve(HEARTBEAT), ms);
  });
  return Promise.race([next, beat]).finally(() => clearTimeout(timer));
}

type Msg = Record<string, unknown>;
const ID_MAX = 128;

function requireId(v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.length > ID_MAX) throw new ValidationError('id is required.', [{ field: 'id', message: 'required' }]);
  return v;
}

const opt = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Implementation of `strata.<collection>.RecordService` for a Connect router.
 *
 * @example
 * router.service(p.service, collectionHandlers(p, { access: () => recordAccess, principal, watch }));
 */
export function collectionHandlers(p: CollectionProto, deps: CollectionHandlerDeps): ServiceImpl<typeof p.service> {
  const c = p.collection;
  const toRecord = (rec: RecordData) => create(p.record, recordInit(c, rec, p.record));
  const input = (m: unknown): RecordData => {
    if (!m) throw new ValidationError('record is required.', [{ field: 'record', message: 'required' }]);
    const out = recordFromMessage(c, m as Msg, p.record);
    // System fields and expand are the server's; REST ignores or refuses them the same way.
    for (const k of ['id', 'created', 'updated', 'expand']) delete out[k];
    return out;
  };
  const guard =
    <I, O>(fn: (req: I, ctx: HandlerContext) => Promise<O>) =>
    async (req: I, ctx: HandlerContext): Promise<O> => {
      try {
        return await fn(req, ctx);
      } catch (e) {
        throw toConnectError(e);
      }
    };

  const impl = {
    get: guard(async (req: Msg, ctx) => {
      const r = await deps.access().get(await deps.principal(ctx), c.name, requireId(req.id), { fields: opt(req.fields), expand: opt(req.expand) });
      ctx.responseHeader.set('etag', r.etag);
      return toRecord(r.record);
    }),
    list: guard(async (req: Msg, ctx) => {
      const list = await deps.access().list(
        await deps.principal(ctx),
        c.name,
        {
          filter: opt(req.filter),
          sort: opt(req.sort),
          page: req.page as number | undefined,
          perPage: req.perPage as number | undefined,
          cursor: opt(req.cursor),
          totalItems: req.totalItems === true,
          fields: opt(req.fields),
          expand: opt(req.expand),
        },
      );
      const init: Msg = { items: list.items.map(toRecord), page: list.page, perPage: list.perPage };
      if (list.totalItems !== undefined) init.totalItems = BigInt(list.totalItems);
      if (list.totalPages !== undefined) init.totalPages = BigInt(list.totalPages);
      if (list.nextCursor) init.nextCursor = list.nextCursor;
      return create(p.list, init);
    }),
    create: guard(async (req: Msg, ctx) => {
      const body = input(req.record);
      const r = await deps.access().create(await deps.principal(ctx), c.name, body);
      ctx.responseHeader.set('etag', r.etag);
      return toRecord(r.record);
    }),
    update: guard(async (req: Msg, ctx) => {
      const body = input(req.record);
      const r = await deps.access().update(await deps.principal(ctx), c.name, requireId(req.id), body, { ifMatch: opt(req.ifMatch) });
      ctx.responseHeader.set('etag', r.etag);
      return toRecord(r.record);
    }),
    delete: guard(async (req: Msg, ctx) => {
      await deps.access().delete(await deps.principal(ctx), c.name, requireId(req.id), { ifMatch: opt(req.ifMatch) });
      return {};
    }),
    async *watch(req: Msg, ctx: HandlerContext) {
      let principal: Principal | null;
      try {
        principal = await deps.principal(ctx);
        // Refused outright (e.g. no list rule) fails now rather than streaming nothing.
        deps.access().assert(principal, c.name, 'list');
        deps.access().assert(principal, c.name, 'view');
      } catch (e) {
        throw toConnectError(e);
      }
      const actions = new Set((req.actions as string[] | undefined) ?? []);
      for (const a of actions) if (!['create', 'update', 'delete'].includes(a)) throw toConnectError(new ValidationError('actions are create, update or delete.', [{ field: 'actions', message: `unknown action ${a.slice(0, 32)}` }]));
      const recordId = opt(req.recordId);
      try {
        const accept = (ev: { action: string; recordId: string }) => (actions.size === 0 || actions.has(ev.action)) && (recordId === undefined || ev.recordId === recordId);
        const events = (await deps.watch.open(c, principal, ctx.signal, accept))[Symbol.asyncIterator]();
        // The first message says the subscription is live: every later change will be seen.
        yield create(p.event, { action: 'subscribed' });
        let next = events.next();
        for (;;) {
          const r = await withHeartbeat(next, deps.heartbeatMs);
          if (r === HEARTBEAT) {
            // Keeps quiet streams alive through idle timeouts (server.idleTimeout, proxies); a revoked
            // caller's quiet stream ends here rather than at its next event.
            await deps.current?.(ctx);
            yield create(p.event, { action: 'heartbeat' });
            continue;
          }
          if (r.done) break;
          next = events.next();
          const ev = r.value;
          // A revoked account (logout-all, password change, deletion) stops receiving: UNAUTHENTICATED.
          await deps.current?.(ctx);
          yield create(p.event, { id: ev.id, action: ev.action, recordId: ev.recordId, record: toRecord(ev.record), at: ev.at });
        }
      } catch (e) {
        throw toConnectError(e);
      }
      // The stream only ends when aborted: a client that left hears nothing; one still there (the
      // server is stopping) gets UNAVAILABLE, which gRPC clients treat as "retry elsewhere".
      throw new ConnectError('The server is shutting down; watch again.', Code.Unavailable);
    },
  };
  return impl as unknown as ServiceImpl<typeof p.service>;
}

export type RecordMessage = MessageShape<CollectionProto['record']>;
