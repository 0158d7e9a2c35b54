// Record-change events for one Watch stream: the bus topic `records.<collection>.*`, each event
// checked against the subscriber's view rule in SQL before it is sent, behind a bounded buffer.
import { sql, type Expression, type SqlBool } from 'kysely';
import { recordTopic, StrataError, type AccessControl, type Principal, type RecordChangeEvent } from '../../core/index.js';
import type { Collection, Db, SqlDialect, TableNames } from '../../data/index.js';
import type { Bus } from '../../messaging/index.js';

export interface RecordWatchDeps {
  bus: () => Bus;
  access: AccessControl;
  db: () => Db;
  dialect: () => SqlDialect;
  names: () => TableNames;
  /** Events buffered for a client that reads slowly before its stream is ended (RESOURCE_EXHAUSTED). */
  maxBuffered?: number;
}

export interface RecordWatch {
  /**
   * Subscribes, then resolves with the readable events of `c` until `signal` aborts; `accept` filters
   * before the access check.
   */
  open(c: Collection, principal: Principal | null, signal: AbortSignal, accept?: (ev: RecordChangeEvent) => boolean): Promise<AsyncIterable<RecordChangeEvent>>;
}

export class SlowConsumerError extends StrataError {
  constructor(max: number) {
    super(429, 'strata/slow-consumer', 'Slow Consumer', `More than ${max} events waited for this stream; it was ended. Watch again to resume.`);
    this.name = 'SlowConsumerError';
  }
}

function isEvent(v: unknown, collection: string): v is RecordChangeEvent {
  const e = v as RecordChangeEvent | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.collection === collection &&
    typeof e.recordId === 'string' &&
    typeof e.id === 'string' &&
    (e.action === 'create' || e.action === 'update' || e.action === 'delete') &&
    typeof e.record === 'object' &&
    e.record !== null
  );
}

/**
 * @example
 * const watch = recordWatch({ bus: () => messaging.bus, access, db: () => data.db, dialect: () => data.dialect, names: () => data.names });
 * for await (const ev of await watch.open(posts, principal, signal)) send(ev);
 */
export function recordWatch(deps: RecordWatchDeps): RecordWatch {
  const max = deps.maxBuffered ?? 1000;

  /** Whether the principal may view the record of the event (now, or as it was for a delete). */
  async function readable(c: Collection, ev: RecordChangeEvent, rule: Expression<SqlBool>): Promise<boolean> {
    const table = sql.table(deps.names().record(c.name));
    if (ev.action !== 'delete') {
      const r = await sql<{ ok: number }>`select 1 as ok from ${table} as t where t.id = ${ev.recordId} and ${rule}`.execute(deps.db());
      return r.rows.length > 0;
    }
    // The row is gone: the rule runs on the deleted record's last values as a one-row derived table.
    const d = deps.dialect();
    const cols = [sql`${ev.recordId} as id`, sql`${String(ev.record.created ?? '')} as created`, sql`${String(ev.record.updated ?? '')} as updated`];
    for (const f of c.fields) {
      if (f.type === 'relation' && f.multiple) continue;
      const v = ev.record[f.name];
      const value = v === null || v === undefined ? null : f.type === 'boolean' ? d.bool(v === true) : f.type === 'json' ? JSON.stringify(v) : v;
      cols.push(sql`${value} as ${sql.id(f.name)}`);
    }
    const r = await sql<{ ok: number }>`select 1 as ok from (select ${sql.join(cols)}) as t where ${rule}`.execute(deps.db());
    return r.rows.length > 0;
  }

  return {
    async open(c, principal, signal, accept) {
      const queue: RecordChangeEvent[] = [];
      let wake: (() => void) | undefined;
      let failure: Error | undefined;
      const onAbort = () => wake?.();
      const unsubscribe = await deps.bus().subscribe(recordTopic(c.name, '*' as never), (payload) => {
        if (failure || !isEvent(payload, c.name) || (accept && !accept(payload))) return;
        if (queue.length >= max) failure = new SlowConsumerError(max);
        else queue.push(payload);
        wake?.();
      });
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        signal.removeEventListener('abort', onAbort);
        signal.removeEventListener('abort', close);
        await unsubscribe().catch(() => undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Also when the stream is abandoned before it is read.
      signal.addEventListener('abort', close, { once: true });
      if (signal.aborted) await close();
      return (async function* () {
        try {
          while (!signal.aborted) {
            if (failure) throw failure;
            const ev = queue.shift();
            if (!ev) {
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
              continue;
            }
            // Rules are asked per event: a refused principal ends the stream (PERMISSION_DENIED).
            const rule = deps.access.where(principal, c.name, 'view');
            if (rule === undefined || (await readable(c, ev, rule))) yield ev;
          }
        } finally {
          await close();
        }
      })();
    },
  };
}
