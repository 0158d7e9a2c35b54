// Realtime from a real browser: headless Chromium (playwright-core) opens the page's own
// WebSocket and EventSource with the session cookie; the Origin check admits the same site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { memoryBus } from '../src/messaging/index.js';
import { EventSource, startAuth, startInstance, tempDir } from './realtime-helpers.js';

const CHROMIUM = '/usr/bin/chromium';

const PAGE = `<!doctype html><meta charset="utf-8"><title>rt</title><script>
window.ws = []; window.sse = [];
const sock = new WebSocket(location.origin.replace('http', 'ws') + '/api/realtime');
sock.onmessage = (m) => {
  const f = JSON.parse(m.data);
  window.ws.push(f);
  if (f.type === 'welcome') sock.send(JSON.stringify({ type: 'subscribe', id: 'mine', collection: 'posts' }));
};
const subs = encodeURIComponent(JSON.stringify([{ id: 'mine', collection: 'posts' }]));
const es = new EventSource('/api/realtime/sse?subscribe=' + subs);
es.onmessage = (m) => window.sse.push({ lastEventId: m.lastEventId, ...JSON.parse(m.data) });
</script>`;

test('Chromium: the page\'s own WebSocket and EventSource get only the signed-in user\'s events', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing`);
    return t.skip(`${CHROMIUM} is missing`);
  }
  const auth = await startAuth();
  const bus = memoryBus();
  const events = new EventSource(bus);
  const inst = await startInstance({
    bus,
    auth: auth.services,
    dir: tempDir(),
    routes: (app) => app.get('/rt', (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE)),
  });
  const ctx = await chromium.launchPersistentContext(tempDir('strata-rt-chrome-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const sess = await auth.services.sessions.create({ userId: 'alice', collection: 'users' });
    await ctx.addCookies([{ name: auth.services.sessionCookie(false).name, value: sess.id, url: inst.base, httpOnly: true, sameSite: 'Lax' }]);
    const page = await ctx.newPage();
    await page.goto(`${inst.base}/rt`);
    await page.waitForFunction(() => {
      const w = globalThis as unknown as { ws: Array<{ type: string }>; sse: Array<{ type: string }> };
      return w.ws.some((f) => f.type === 'subscribed') && w.sse.some((f) => f.type === 'subscribed');
    });
    const theirs = (await inst.data.records.create('posts', { title: 'not yours', owner: 'bob' })).record as Record<string, unknown>;
    const hers = (await inst.data.records.create('posts', { title: 'yours', owner: 'alice' })).record as Record<string, unknown>;
    await events.publish('create', 'posts', theirs);
    const e = await events.publish('create', 'posts', hers);
    await page.waitForFunction((id) => {
      const w = globalThis as unknown as { ws: Array<{ id?: string }>; sse: Array<{ id?: string }> };
      return w.ws.some((f) => f.id === id) && w.sse.some((f) => f.id === id);
    }, e.id);
    const got = await page.evaluate(() => {
      const w = globalThis as unknown as { ws: Array<Record<string, unknown>>; sse: Array<Record<string, unknown>> };
      return { ws: w.ws.filter((f) => f.type === 'event'), sse: w.sse.filter((f) => f.type === 'event'), auth: w.ws.find((f) => f.type === 'authenticated') };
    });
    assert.deepEqual(got.auth?.principal, { id: 'alice', collection: 'users' });
    assert.deepEqual(got.ws.map((f) => (f.record as Record<string, unknown>).title), ['yours']);
    assert.deepEqual(got.sse.map((f) => (f.record as Record<string, unknown>).title), ['yours']);
    assert.equal(got.sse[0].lastEventId, e.id);
  } finally {
    await ctx.close();
    await inst.close();
    await bus.close();
    await auth.stop();
  }
});
