import { rabbitQueue } from './src/messaging/backends/rabbitmq.ts';
for (const queueType of ['classic', 'quorum'] as const) {
const q = await rabbitQueue({ prefix: 'dbgrb.' + Date.now() + '.', queueType });
let done = 0; const n = 5000;
const t0 = Date.now();
for (let i = 0; i < n; i += 1000) { await q.enqueueBulk('b', Array.from({ length: 1000 }, (_, k) => ({ payload: { i: i + k } }))); }
const t1 = Date.now();
const c = await q.consume('b', () => { done++; }, { concurrency: 8, leaseMs: 60000 });
while (done < n && Date.now() - t0 < 40000) await new Promise(r => setTimeout(r, 20));
console.log(queueType, 'enqueue/s', Math.round(n / (t1 - t0) * 1000), 'consume/s', Math.round(n / (Date.now() - t1) * 1000));
await c.stop(); await q.destroy(['b']); await q.close();
}
