// Record-change events: what the data layer publishes (through its transactional outbox) after a
// write commits, and what realtime, gRPC Watch, webhooks and functions consume.

export type RecordChangeAction = 'create' | 'update' | 'delete';

/** Published on the bus topic `records.<collection>.<action>`, at least once, in `seq` order. */
export interface RecordChangeEvent {
  /** Event id: the outbox position as a zero-padded decimal string (sorts like `seq`). */
  readonly id: string;
  /** Outbox position: gap-free, increasing in publish order (a later write on the same record is always later). */
  readonly seq: number;
  readonly action: RecordChangeAction;
  readonly collection: string;
  readonly recordId: string;
  /** The record as REST returns it: after the write (create/update) or before it (delete). */
  readonly record: Record<string, unknown>;
  /** Commit time, ISO 8601. */
  readonly at: string;
}

/** Replay of retained events, for clients that resume after a disconnect. */
export interface ChangeFeed {
  /**
   * Events with seq > afterSeq, oldest first, at most `limit`. Throws a StrataError (410 Gone) when
   * afterSeq is older than the retention window, so the caller knows events were lost.
   */
  since(afterSeq: number, opts?: { collections?: readonly string[]; limit?: number }): Promise<RecordChangeEvent[]>;
  /** Highest position given so far (0 when none). */
  latest(): Promise<number>;
}

export const recordTopic = (collection: string, action: RecordChangeAction): string => `records.${collection}.${action}`;

/**
 * A consumer that takes record-change events durably (a webhook delivery queue, the queue that runs
 * function subscribers). The outbox relay hands every event to each one and waits for it to resolve
 * before it marks the event published, so a crash at any point hands the event over again (at least
 * once): `handoff` must be idempotent by event `id` (an enqueue with an idempotency key).
 */
export interface EventHandoff {
  readonly name: string;
  /** Resolves once the events are durably taken (e.g. committed to a queue); a throw fails the relay pass, retried. */
  handoff(events: readonly RecordChangeEvent[]): Promise<void>;
}

/**
 * The hand-offs registered now: the composition root makes one, consumers add themselves when they
 * start (and remove themselves when they stop), and the relay reads it on every pass.
 *
 * @example
 * const handoffs = new EventHandoffs();
 * const remove = handoffs.add({ name: 'webhooks', handoff: (events) => hooks.handoff(events) });
 */
export class EventHandoffs {
  private readonly items = new Set<EventHandoff>();
  add(h: EventHandoff): () => void {
    this.items.add(h);
    return () => void this.items.delete(h);
  }
  list(): readonly EventHandoff[] {
    return [...this.items];
  }
}
