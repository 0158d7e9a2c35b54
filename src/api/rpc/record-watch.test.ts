import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordTopic, type RecordChangeEvent } from '../../core/index.js';
import { normalizeCollections, type RecordAccess } from '../../data/index.js';
import { memoryBus } from '../../messaging/index.js';
import { recordWatch, SlowConsumerError } from './record-watch.js';

const posts = normalizeCollections([{ name: 'posts', fields: [{ name: 'title', type: 'text' }] } as never]).find((c) => c.name === 'posts')!;
const unrestricted: Pick<RecordAccess, 'subscribe' | 'unrestricted' | 'visible' | 'open'> = {
  subscribe: (principal, collection) => ({ principal, collection }),
  unrestricted: () => true,
  visible: async () => {
    throw new Error('no check without a rule');
  },
  open: (ev) => ev.record,
};
const open = () => unrestricted as RecordAccess;
const event = (n: number, collection = 'posts'): RecordChangeEvent => ({ id: String(n), seq: n, action: 'create', collection, recordId: `r${n}`, record: { id: `r${n}`, title: `t${n}` }, at: new Date(0).toISOString() });

test('a Watch that does not read is ended once its buffer bound is passed; malformed and foreign events are dropped', async () => {
  const bus = memoryBus();
  const watch = recordWatch({ bus: () => bus, access: open, maxBuffered: 2 });
  const abort = new AbortController();
  const events = (await watch.open(posts, null, abort.signal))[Symbol.asyncIterator]();
  await bus.publish(recordTopic('posts', 'create'), { not: 'an event' });
  await bus.publish(recordTopic('posts', 'create'), event(9, 'other'));
  await bus.publish(recordTopic('posts', 'create'), event(1));
  assert.equal((await events.next()).value.recordId, 'r1');
  for (let i = 2; i <= 5; i++) await bus.publish(recordTopic('posts', 'create'), event(i));
  await assert.rejects(async () => {
    for (;;) await events.next();
  }, SlowConsumerError);
  abort.abort();
  await bus.close();
});

test('aborting ends the stream and unsubscribes', async () => {
  const bus = memoryBus();
  const watch = recordWatch({ bus: () => bus, access: open });
  const abort = new AbortController();
  const it = (await watch.open(posts, null, abort.signal))[Symbol.asyncIterator]();
  const pending = it.next();
  abort.abort();
  assert.equal((await pending).done, true);
  await bus.close();
});
