import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sqliteQueue } from '../backends/sqlite.js';
import { memoryBus } from '../bus/memory.js';
import { until } from '../queue.contract.js';
import { memoryDeliveryLog, memorySubscriptions, webhooks } from './webhook-delivery.js';
import { generateSecret, sign, signedHeaders, verify } from './webhook-sign.js';
import { targetChecker } from './webhook-target.js';

test('Standard Webhooks test vector and verification', () => {
  // Vector from the Standard Webhooks reference implementations.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const body = '{"test": 2432232314}';
  assert.equal(sign(secret, id, 1614265330, body), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  const h = signedHeaders(secret, id, body, 1614265330);
  assert.equal(verify(secret, { ...h }, body, 300, 1614265330), true);
  assert.equal(verify(secret, { ...h }, body + ' ', 300, 1614265330), false, 'body tampered');
  assert.equal(verify(secret, { ...h }, body, 300, 1614265330 + 301), false, 'too old');
  assert.equal(verify(generateSecret(), { ...h }, body, 300, 1614265330), false, 'other secret');
  assert.equal(verify(secret, { ...h, 'webhook-signature': `v1,bogus ${h['webhook-signature']}` }, body, 300, 1614265330), true, 'several signatures');
});

test('target policy: metadata, link-local, loopback and private refused by default; allow list works', () => {
  const strict = targetChecker();
  for (const bad of ['http://x.test/', 'https://169.254.169.254/latest/meta-data', 'https://[fe80::1]/', 'https://127.0.0.1/', 'https://10.0.0.5/', 'https://[::ffff:169.254.169.254]/', 'https://u:p@example.com/', 'https://0.0.0.0/', 'not a url']) {
    assert.throws(() => strict.checkUrl(bad), { type: 'strata/validation' }, bad);
  }
  assert.doesNotThrow(() => strict.checkUrl('https://93.184.215.14/hook'));
  const local = targetChecker({ allowCidrs: ['127.0.0.1/32'], allowHttp: true });
  assert.doesNotThrow(() => local.checkUrl('http://127.0.0.1:9/hook'));
  assert.throws(() => local.checkUrl('http://169.254.169.254/'), { type: 'strata/validation' });
  assert.equal(local.addressAllowed('127.0.0.2'), false);
});

test('a name resolving to a refused address is refused at connect time', async () => {
  const { lookup } = targetChecker();
  const err = await new Promise<Error | null>((resolve) => lookup('localhost', { all: true }, (e) => resolve(e)));
  assert.match(String(err?.message), /not allowed/);
});

test('bus event -> signed delivery job -> POST; failures retry, the log records every attempt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-wh-'));
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failFirst = true;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (failFirst) {
        failFirst = false;
        res.statusCode = 503;
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const q = sqliteQueue({ file: join(dir, 'q.db'), pollMs: 20 });
  const bus = memoryBus();
  const secret = generateSecret();
  const subs = memorySubscriptions([
    { id: 'sub1', topics: 'records.posts.*', url: `http://127.0.0.1:${port}/hook`, secret, enabled: true },
    { id: 'sub2', topics: 'records.users.*', url: `http://127.0.0.1:${port}/other`, secret, enabled: true },
    { id: 'sub3', topics: 'records.>', url: 'http://169.254.169.254/latest', secret, enabled: true },
  ]);
  const log = memoryDeliveryLog();
  const hooks = webhooks({ queue: q, subscriptions: subs, log, policy: { allowCidrs: ['127.0.0.1/32'], allowHttp: true } });
  try {
    await hooks.listen(bus);
    const worker = await hooks.work({ backoff: { baseMs: 30, maxMs: 100, jitter: 0 } });
    await bus.publish('records.posts.create', { id: 7, title: 'hello' });
    await until(() => received.length === 2, 'retry after a 503');
    await until(async () => (await q.counts('webhooks')).dead === 1, 'metadata target dead-lettered');
    await worker.stop();
    const [first, second] = received;
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id'], 'same webhook-id on retry');
    const h = second.headers as Record<string, string>;
    assert.equal(verify(secret, h, second.body), true, 'receiver verifies the signature');
    assert.deepEqual(JSON.parse(second.body).data, { id: 7, title: 'hello' });
    assert.equal(JSON.parse(second.body).type, 'records.posts.create');
    const sub1 = log.entries.filter((e) => e.subscriptionId === 'sub1');
    assert.deepEqual(sub1.map((e) => [e.attempt, e.status]), [[1, 503], [2, 200]]);
    const sub3 = log.entries.filter((e) => e.subscriptionId === 'sub3');
    assert.ok(sub3.length >= 1 && sub3.every((e) => /not allowed/.test(e.error ?? '')), 'metadata address never contacted');
  } finally {
    await hooks.close();
    await q.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
