// Child process for the kill -9 durability test: enqueues at full speed and
// prints the payload number of every enqueue whose promise resolved.
import { sqliteQueue } from './sqlite.js';

const q = sqliteQueue({ file: process.argv[2] });
let n = 0;
async function producer(): Promise<never> {
  for (;;) {
    const i = n++;
    const r = await q.enqueue('durable', { i }, i % 7 === 0 ? { idempotencyKey: `k${i}` } : undefined);
    process.stdout.write(`${i} ${r.id}\n`); // stdout to a pipe is synchronous on Linux: printed means acknowledged
  }
}
for (let w = 0; w < 32; w++) void producer();
