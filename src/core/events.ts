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
