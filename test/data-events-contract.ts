// Record-change events through the transactional outbox: every SQL engine passes the same scenarios.
// Registered by test/data-events-{sqlite,postgres,mysql}.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { StrataError, type RecordChangeEvent } from '../src/core/index.js';
import { createRecordsService, dropAll, eventRelay, normalizeCollections, pruneOutbox, recordEventRelay, tableNames, writeOutbox, type DataLayer, type EventRelay } from '../src/data/index.js';
import type { CollectionConfig } from '../src/config/schema-data.js';
import { memoryBus } from '../src/messaging/index.js';
import { layerFor, type EngineSetup } from './data-contract.js';
import { assignPositions, pendingRows } from '../src/data/event-outbox.js';
import { uniquePrefix } from './data-helpers.js';

export const EVENT_COLLECTIONS: CollectionConfig[] = [
  { name: 'users', fields: [{ name: 'name', type: 'text', required: true, unique: true }] },
  {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text', required: true },
      { name: 'author', type: 'relation', collection: 'users', onDelete: 'cascade' },
    ],
  },
];

interface Published {
  topic: string;
  event: RecordChangeEvent;
}

/** A publisher that records what the relay hands it, in order. */
function recorder(): { publish(topic: string, e: RecordChangeEvent): Promise<void>; seen: Published[] } {
  const seen: Published[] = [];
  return {
    seen,
    async publish(topic, event) {
      seen.push({ topic, event: JSON.parse(JSON.stringify(event)) as RecordChangeEvent });
    },
  };
}

export function eventsContract(engine: string, setup: () => Promise<EngineSetup>, skip: false | string, opts: { multiInstance?: boolean } = {}): void {
  describe(`record-change events: ${engine}`, { skip }, () => {
    let env: EngineSetup;
    let layer: DataLayer;
    let relay: EventRelay;
    const pub = recorder();
    const outboxCount = async () => Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(layer.names.outbox)}`.execute(layer.db)).rows[0].n);
    const pending = async () => Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(layer.names.outbox)} WHERE published_at IS NULL`.execute(layer.db)).rows[0].n);
    /** Events published since `from`, after draining the outbox. */
    const since = async (from: number) => {
      await relay.drain();
      return pub.seen.slice(from);
    };

    before(async () => {
      env = await setup();
      layer = layerFor(env, EVENT_COLLECTIONS, { events: { pollInterval: 50 } });
      await layer.start();
      relay = recordEventRelay(layer, () => pub);
      await relay.start();
    });
    after(async () => {
      if (!layer) return;
      await relay?.stop();
      await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(EVENT_COLLECTIONS));
      await layer.stop();
    });

    test('create, update and delete each publish records.<collection>.<action> with the record as REST returns it', async () => {
      const from = pub.seen.length;
      const u = (await layer.records.create('users', { name: 'ann' })).record;
      const p = await layer.records.create('posts', { title: 'first', author: u.id }, { fields: 'title' });
      // a projected create still publishes the whole record
      assert.deepEqual(Object.keys(p.record), ['title']);
      const full = (await layer.records.list('posts', { filter: 'title = "first"' })).items[0];
      const upd = (await layer.records.update('posts', String(full.id), { title: 'second' })).record;
      await layer.records.delete('posts', String(full.id));
      const got = await since(from);
      assert.deepEqual(
        got.map((g) => g.topic),
        ['records.users.create', 'records.posts.create', 'records.posts.update', 'records.posts.delete'],
      );
      assert.deepEqual(got[0].event.record, u);
      assert.deepEqual(got[1].event.record, full);
      assert.deepEqual(got[2].event.record, upd);
      assert.deepEqual(got[3].event.record, upd, 'a delete carries the record as it was before');
      for (const g of got) {
        assert.equal(g.event.recordId, g.event.record.id);
        assert.equal(g.event.id, String(g.event.seq).padStart(16, '0'));
        assert.ok(!Number.isNaN(Date.parse(g.event.at)));
      }
      assert.equal(got[1].event.action, 'create');
      assert.equal(got[1].event.collection, 'posts');
      const seqs = got.map((g) => g.event.seq);
      assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'published in seq order');
      assert.equal(new Set(seqs).size, seqs.length);
      assert.equal(await pending(), 0, 'everything published is marked');
    });

    test('a rolled-back write produces no event', async () => {
      const before = await outboxCount();
      const from = pub.seen.length;
      await assert.rejects(layer.records.create('users', { name: 'ann' }), (e: unknown) => e instanceof StrataError && e.status === 409);
      await assert.rejects(layer.records.create('posts', { title: 'x', author: 'nosuchuser1' }), (e: unknown) => e instanceof StrataError && e.status === 400);
      // the first two operations succeed inside the batch, the third fails: all roll back
      await assert.rejects(
        layer.records.batch([
          { action: 'create', collection: 'users', body: { name: 'batch-1' } },
          { action: 'create', collection: 'users', body: { name: 'batch-2' } },
          { action: 'create', collection: 'users', body: { name: 'ann' } },
        ]),
        (e: unknown) => e instanceof StrataError && e.status === 409,
      );
      await assert.rejects(layer.records.delete('users', 'nosuchuser1'), (e: unknown) => e instanceof StrataError && e.status === 404);
      assert.equal(await outboxCount(), before);
      assert.deepEqual(await since(from), []);
      assert.equal((await layer.records.list('users', { filter: 'name ~ "batch-"' })).items.length, 0);
    });

    test('a batch publishes one event per operation, in order, after it commits', async () => {
      const from = pub.seen.length;
      const u = (await layer.records.create('users', { name: 'bea' })).record;
      const res = await layer.records.batch([
        { action: 'create', collection: 'posts', body: { title: 'b1', author: u.id } },
        { action: 'create', collection: 'posts', body: { title: 'b2', author: u.id } },
        { action: 'update', collection: 'users', id: String(u.id), body: { name: 'bea2' } },
      ]);
      const got = await since(from);
      assert.deepEqual(
        got.map((g) => `${g.topic}:${String(g.event.record.title ?? g.event.record.name)}`),
        ['records.users.create:bea', 'records.posts.create:b1', 'records.posts.create:b2', 'records.users.update:bea2'],
      );
      assert.deepEqual(got[1].event.record, res[0].body);
      // a cascaded delete publishes the directly deleted record (the cascaded posts go with it)
      const f2 = pub.seen.length;
      await layer.records.delete('users', String(u.id));
      const del = await since(f2);
      assert.deepEqual(del.map((g) => g.topic), ['records.users.delete']);
      assert.equal(del[0].event.record.name, 'bea2');
    });

    test('sequential writes are published in the order they were made, with increasing positions', async () => {
      const from = pub.seen.length;
      for (let i = 0; i < 30; i++) await layer.records.create('users', { name: `order-${i}` });
      const got = await since(from);
      assert.deepEqual(got.map((g) => g.event.record.name), Array.from({ length: 30 }, (_, i) => `order-${i}`));
      for (let i = 1; i < got.length; i++) assert.ok(got[i].event.seq > got[i - 1].event.seq);
    });

    test('concurrent writers, some rolled back: each committed write is published once, positions gap-free in publish order', async () => {
      await relay.drain();
      const start = await layer.changes.latest();
      const from = pub.seen.length;
      const writes = Array.from({ length: 24 }, (_, i) =>
        // every fourth collides with an existing name and rolls back
        layer.records.create('users', { name: i % 4 === 3 ? 'ann' : `conc-${i}` }).then(() => true, () => false),
      );
      const ok = (await Promise.all(writes)).filter(Boolean).length;
      assert.equal(ok, 18);
      const got = await since(from);
      const seqs = got.map((g) => g.event.seq);
      assert.deepEqual(seqs, Array.from({ length: 18 }, (_, i) => start + 1 + i));
      const names = got.map((g) => String(g.event.record.name)).sort();
      assert.deepEqual(names, Array.from({ length: 24 }, (_, i) => i).filter((i) => i % 4 !== 3).map((i) => `conc-${i}`).sort(), 'each committed write once, no rolled-back one');
      const feed = await layer.changes.since(start, { limit: 100 });
      assert.deepEqual(feed.map((e) => e.seq), seqs);
    });

    test('concurrent writers are not serialized: a write commits while an earlier one is still open, and is published first', { skip: opts.multiInstance ? false : 'SQLite has one writer' }, async () => {
      await relay.drain();
      const from = pub.seen.length;
      let wrote!: () => void;
      const written = new Promise<void>((r) => (wrote = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // A: a records service whose event sink holds the transaction open after its outbox insert
      const holding = createRecordsService({
        db: layer.db,
        dialect: layer.dialect,
        names: layer.names,
        collections: layer.collections,
        events: {
          async write(tx, evs) {
            await writeOutbox(tx, layer.names, evs);
            wrote();
            await gate;
          },
          committed: () => undefined,
        },
      });
      const a = holding.create('users', { name: 'open-A' });
      let timer: NodeJS.Timeout | undefined;
      try {
        await written;
        // B: with writers numbering rows from a counter, B would wait here for A's commit
        const b = layer.records.create('users', { name: 'committed-B' });
        const outcome = await Promise.race([b.then(() => 'committed'), new Promise<string>((r) => (timer = setTimeout(r, 5000, 'still waiting after 5 s')))]);
        assert.equal(outcome, 'committed', 'B waited for the open transaction A: writers are serialized');
        await relay.drain();
        assert.deepEqual(pub.seen.slice(from).map((g) => g.event.record.name), ['committed-B'], 'B is published while A is open');
      } finally {
        clearTimeout(timer);
        release();
        await a;
      }
      await relay.drain(); // A's own service announces nothing: the drain finds it
      const got = pub.seen.slice(from);
      assert.deepEqual(got.map((g) => g.event.record.name), ['committed-B', 'open-A']);
      const [bSeq, aSeq] = got.map((g) => g.event.seq);
      assert.equal(aSeq, bSeq + 1, 'A is positioned right after B');
      assert.deepEqual((await layer.changes.since(bSeq)).map((e) => e.record.name), ['open-A'], 'a reader resuming after B gets A');
      assert.equal(await layer.changes.latest(), aSeq);
    });

    test('a pass that dies after positioning, before publishing: the next publishes the same rows with the same positions', async () => {
      await relay.drain();
      await relay.stop();
      const from = pub.seen.length;
      const state = layer.names.outboxState;
      const unpublished = async () => (await sql<{ seq: number | string | null }>`SELECT seq FROM ${sql.table(layer.names.outbox)} WHERE published_at IS NULL ORDER BY seq`.execute(layer.db)).rows.map((r) => (r.seq === null ? null : Number(r.seq)));
      let tried = 0;
      const dying = eventRelay({
        outbox: () => layer.outbox,
        onCommit: () => () => undefined,
        publisher: () => ({
          async publish() {
            tried++;
            throw new Error('died between positioning and publishing');
          },
        }),
        pollInterval: 60_000,
        batchSize: 10,
        retention: 3600,
        maxRows: 100_000,
      });
      try {
        for (let i = 0; i < 3; i++) await layer.records.create('users', { name: `crash-${i}` });
        await dying.start();
        await assert.rejects(dying.drain(), /died between positioning/);
      } finally {
        await dying.stop();
      }
      assert.ok(tried >= 1);
      const positioned = await unpublished();
      assert.equal(positioned.length, 3);
      assert.ok(positioned.every((p) => p !== null), 'the dead pass gave the rows their positions');
      await layer.records.create('users', { name: 'crash-after' }); // committed after the positions were given
      relay = recordEventRelay(layer, () => pub);
      await relay.start();
      const got = await since(from);
      assert.deepEqual(got.map((g) => g.event.record.name), ['crash-0', 'crash-1', 'crash-2', 'crash-after']);
      assert.deepEqual(got.map((g) => g.event.seq), [...positioned, positioned[2]! + 1], 'same positions, the later write after them');
      assert.equal(await pending(), 0);
      if (layer.dialect.name !== 'sqlite') {
        // nothing positioned twice: the counter moved once per row
        const counter = Number((await sql<{ value: number }>`SELECT value FROM ${sql.table(state)} WHERE name = 'seq'`.execute(layer.db)).rows[0].value);
        assert.equal(counter, positioned[2]! + 1);
      }
      const dup = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(layer.names.outbox)} WHERE seq IS NOT NULL GROUP BY seq HAVING COUNT(*) > 1`.execute(layer.db);
      assert.equal(dup.rows.length, 0);
    });

    test('a position is given once: positioning rows that already have one fails and changes nothing', { skip: opts.multiInstance ? false : 'SQLite rows are positioned at insert' }, async () => {
      await relay.drain();
      await relay.stop();
      const o = layer.outbox;
      const counter = async () => Number((await sql<{ value: number }>`SELECT value FROM ${sql.table(layer.names.outboxState)} WHERE name = 'seq'`.execute(layer.db)).rows[0].value);
      try {
        for (let i = 0; i < 2; i++) await layer.records.create('users', { name: `once-${i}` });
        const fresh = (await pendingRows(o.db, o.dialect, o.names, 100)).filter((r) => r.seq === null);
        assert.equal(fresh.length, 2);
        const given = await assignPositions(o.db, o.dialect, o.names, fresh);
        const after = await counter();
        assert.equal(given[1].seq, after);
        // the same rows again, as a second relay without the lock would see them: refused, nothing moves
        await assert.rejects(assignPositions(o.db, o.dialect, o.names, fresh), /outbox positions/);
        assert.equal(await counter(), after, 'the counter did not move');
        const seqs = (await sql<{ seq: number | string }>`SELECT seq FROM ${sql.table(layer.names.outbox)} WHERE published_at IS NULL ORDER BY seq`.execute(layer.db)).rows.map((r) => Number(r.seq));
        assert.deepEqual(seqs, given.map((g) => g.seq), 'the rows keep their positions');
      } finally {
        relay = recordEventRelay(layer, () => pub);
        await relay.start();
        await relay.drain();
      }
    });

    test('an outbox of the old shape (writers numbered rows) is upgraded at start; its pending rows keep their positions', { skip: opts.multiInstance ? false : "SQLite's outbox keeps its shape" }, async () => {
      const prefix = uniquePrefix();
      const names = tableNames(prefix);
      const d = layer.dialect;
      const t = sql.table(names.outbox);
      const word = d.name === 'mysql' ? 'VARCHAR(64)' : 'varchar(64) COLLATE "C"';
      const text = d.name === 'mysql' ? 'LONGTEXT' : 'TEXT';
      const cols = sql.raw(`seq BIGINT NOT NULL PRIMARY KEY, collection ${word} NOT NULL, action ${word} NOT NULL, record_id ${d.idType} NOT NULL, record ${text} NOT NULL, at ${d.dateType} NOT NULL, published_at ${d.dateType} NULL`);
      const oldIndex = sql.id(names.index(names.outbox, ['pending'], false));
      // the DDL before positions moved to the relay
      if (d.name === 'mysql') await sql`CREATE TABLE ${t} (${cols}, INDEX ${oldIndex} (published_at, seq))${sql.raw(d.tableOptions)}`.execute(layer.db);
      else {
        await sql`CREATE TABLE ${t} (${cols})`.execute(layer.db);
        await sql`CREATE INDEX ${oldIndex} ON ${t} (seq) WHERE published_at IS NULL`.execute(layer.db);
      }
      await sql`CREATE TABLE ${sql.table(names.outboxState)} (name ${sql.raw(word)} NOT NULL PRIMARY KEY, value BIGINT NOT NULL)${sql.raw(d.tableOptions)}`.execute(layer.db);
      const at = new Date().toISOString();
      const old = (n: number, published: string | null) => ({ seq: n, collection: 'users', action: 'create', record_id: `old${n}`, record: JSON.stringify({ id: `old${n}`, name: `old-${n}` }), at, published_at: published });
      await layer.db.insertInto(names.outbox).values([old(1, at), old(2, null)]).execute();
      await layer.db.insertInto(names.outboxState).values({ name: 'seq', value: 2 }).execute();

      const upgraded = layerFor({ ...env, prefix }, EVENT_COLLECTIONS, { events: { pollInterval: 50 } });
      const seen = recorder();
      const relay2 = recordEventRelay(upgraded, () => seen);
      try {
        await upgraded.start();
        await relay2.start();
        await relay2.drain();
        assert.deepEqual(seen.seen.map((g) => [g.event.seq, g.event.record.name]), [[2, 'old-2']], 'the pending old row, with its old position');
        await upgraded.records.create('users', { name: 'after-upgrade' });
        await relay2.drain();
        assert.deepEqual(seen.seen.map((g) => [g.event.seq, g.event.record.name]), [[2, 'old-2'], [3, 'after-upgrade']]);
        assert.deepEqual((await upgraded.changes.since(0)).map((e) => e.seq), [1, 2, 3]);
        // a second start finds the new shape and changes nothing
        const again = layerFor({ ...env, prefix }, EVENT_COLLECTIONS);
        await again.start();
        await again.stop();
        assert.equal(await upgraded.changes.latest(), 3);
      } finally {
        await relay2.stop();
        await dropAll(upgraded.db, { dialect: upgraded.dialect, names: upgraded.names }, normalizeCollections(EVENT_COLLECTIONS)).catch(() => undefined);
        await upgraded.stop();
      }
    });

    test('a local write wakes the relay without drain()', async () => {
      const from = pub.seen.length;
      await layer.records.create('users', { name: 'woken' });
      for (let i = 0; i < 400 && pub.seen.length === from; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(pub.seen[from]?.event.record.name, 'woken');
    });

    test('writes while the relay runs (no drain): each event published once, and every row marked once the outbox runs dry', async () => {
      await relay.drain();
      const from = pub.seen.length;
      // bursts of concurrent creates, each awaited: the relay publishes while later ones commit
      // (on SQLite it marks at most every 50 ms meanwhile, reading past what it published)
      for (let b = 0; b < 6; b++) await Promise.all(Array.from({ length: 8 }, (_, i) => layer.records.create('users', { name: `run-${b}-${i}` })));
      for (let i = 0; i < 500 && (pub.seen.length - from < 48 || (await pending()) > 0); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await pending(), 0, 'every published row is marked without drain() or stop()');
      const got = pub.seen.slice(from).map((g) => g.event.seq);
      assert.equal(got.length, 48, 'each event once');
      assert.deepEqual(got, [...got].sort((a, b) => a - b), 'in position order');
      assert.equal(new Set(got).size, 48);
    });

    test('the change feed replays retained events and answers 410 for pruned positions', async () => {
      await relay.drain();
      const feed = layer.changes;
      const latest = await feed.latest();
      assert.ok(latest > 0);
      const all = await feed.since(0, { limit: 1000 });
      assert.equal(all[all.length - 1].seq, latest);
      const posts = await feed.since(0, { collections: ['posts'], limit: 1000 });
      assert.ok(posts.length > 0 && posts.every((e) => e.collection === 'posts'));
      const two = await feed.since(all[0].seq, { limit: 2 });
      assert.deepEqual(two.map((e) => e.seq), all.slice(1, 3).map((e) => e.seq));
      assert.deepEqual(await feed.since(latest), []);
      await assert.rejects(feed.since(-1), (e: unknown) => e instanceof StrataError && e.status === 400);
      // keep only the newest 3 published rows
      const deleted = await pruneOutbox(layer.outbox, 3600, 3);
      assert.equal(deleted, all.length - 3);
      assert.equal(await feed.latest(), latest, 'latest survives pruning');
      const gone = await feed.since(0).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(gone instanceof StrataError, 'a pruned position is refused');
      assert.equal(gone.status, 410);
      assert.equal(gone.type, 'strata/events-gone');
      const resume = latest - 3;
      assert.deepEqual((await feed.since(resume)).map((e) => e.seq), all.slice(-3).map((e) => e.seq));
      await assert.rejects(feed.since(resume - 1), (e: unknown) => e instanceof StrataError && e.status === 410);
      // an unpublished event is never pruned, whatever the window
      await relay.stop();
      await layer.records.create('users', { name: 'unpublished' });
      await pruneOutbox(layer.outbox, 0, 1);
      assert.equal(await pending(), 1);
      relay = recordEventRelay(layer, () => pub);
      await relay.start();
      const from = pub.seen.length;
      const got = await since(from);
      assert.deepEqual(got.map((g) => g.event.record.name), ['unpublished']);
    });

    test('a publish that hangs or fails is retried; nothing is lost or marked unpublished-as-published', async () => {
      await relay.stop();
      let calls = 0;
      const seen: string[] = [];
      const flaky = eventRelay({
        outbox: () => layer.outbox,
        onCommit: (wake) => layer.onCommit(wake),
        publisher: () => ({
          async publish(_t: string, e: RecordChangeEvent) {
            calls++;
            if (calls === 1) await new Promise(() => undefined); // hangs: the timeout fails the pass
            if (calls === 2) throw new Error('broker down');
            seen.push(String(e.record.name));
          },
        }),
        pollInterval: 20,
        batchSize: 10,
        retention: 3600,
        maxRows: 100_000,
        publishTimeout: 50,
      });
      try {
        await layer.records.create('users', { name: 'flaky-1' });
        await layer.records.create('users', { name: 'flaky-2' });
        await flaky.start();
        for (let i = 0; i < 300 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(seen, ['flaky-1', 'flaky-2']);
        assert.ok(calls >= 4);
        // rows are marked published just after the publish resolves
        for (let i = 0; i < 300 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(await pending(), 0);
      } finally {
        await flaky.stop();
        relay = recordEventRelay(layer, () => pub);
        await relay.start();
        await relay.drain();
      }
    });

    test('events off: no outbox rows are written', async () => {
      const off = layerFor(env, EVENT_COLLECTIONS, { events: { enabled: false } });
      await off.start();
      try {
        const before = await outboxCount();
        await off.records.create('users', { name: 'quiet' });
        assert.equal(await outboxCount(), before);
        assert.throws(() => off.changes, /events are off/);
      } finally {
        await off.stop();
      }
    });

    // SQLite: two processes share a file in a cluster; test/data-events-sqlite-cluster.test.ts runs them as processes
    test('two instances on one database never publish the same row twice', { skip: opts.multiInstance ? false : 'one layer per SQLite file in a process (see data-events-sqlite-cluster)' }, async () => {
      await relay.drain();
      const other = layerFor(env, EVENT_COLLECTIONS, { events: { pollInterval: 20 } });
      await other.start();
      const pub2 = recorder();
      const relay2 = recordEventRelay(other, () => pub2);
      try {
        await relay2.start();
        const from1 = pub.seen.length;
        const writes = Array.from({ length: 40 }, (_, i) => (i % 2 ? layer : other).records.create('users', { name: `multi-${i}` }));
        await Promise.all(writes);
        await Promise.all([relay.drain(), relay2.drain()]);
        const seqs = [...pub.seen.slice(from1), ...pub2.seen].filter((g) => String(g.event.record.name).startsWith('multi-')).map((g) => g.event.seq);
        assert.equal(seqs.length, 40, 'every event published');
        assert.equal(new Set(seqs).size, 40, 'none twice');
      } finally {
        await relay2.stop();
        await other.stop();
      }
    });

    test('the relay publishes to a real bus: a subscriber on records.posts.* sees a create', async () => {
      const bus = memoryBus();
      const seen: unknown[] = [];
      await bus.subscribe('records.posts.*', (e) => void seen.push(e));
      const busRelay = recordEventRelay(layer, () => bus);
      await relay.stop();
      await busRelay.start();
      try {
        const u = (await layer.records.create('users', { name: 'bus-user' })).record;
        const p = (await layer.records.create('posts', { title: 'on the bus', author: u.id })).record;
        await busRelay.drain();
        for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(seen.length, 1);
        assert.deepEqual((seen[0] as RecordChangeEvent).record, p);
      } finally {
        await busRelay.stop();
        await bus.close();
      }
    });
  });
}
