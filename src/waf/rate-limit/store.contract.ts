// Conformance suite every RateLimitStore must pass (memory, redis): same numbers for
// the same sequence of requests and clock values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RateLimitStore, RatePolicy } from './store.js';

export function rateStoreContract(label: string, make: () => Promise<RateLimitStore>, opts: { skip?: string | boolean } = {}): void {
  const key = () => `t-${randomBytes(6).toString('hex')}`;
  const T0 = 1_700_000_000_000;

  test(`${label}: token bucket allows a burst of limit, then refills at limit/window`, { skip: opts.skip }, async () => {
    const s = await make();
    try {
      const p: RatePolicy = { name: 'tb', algorithm: 'token-bucket', limit: 5, windowSeconds: 10 };
      const k = key();
      for (let i = 0; i < 5; i++) {
        const d = await s.consume(k, p, T0);
        assert.equal(d.allowed, true, `request ${i}`);
        assert.equal(d.remaining, 4 - i);
      }
      const refused = await s.consume(k, p, T0);
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfterSeconds, 2, 'one token per 2 s');
      assert.equal((await s.consume(k, p, T0 + 1999)).allowed, false);
      assert.equal((await s.consume(k, p, T0 + 2000)).allowed, true);
      const full = await s.consume(k, p, T0 + 60_000);
      assert.equal(full.allowed, true);
      assert.equal(full.remaining, 4, 'never above capacity');
    } finally { await s.close?.(); }
  });

  test(`${label}: sliding window weights the previous window`, { skip: opts.skip }, async () => {
    const s = await make();
    try {
      const p: RatePolicy = { name: 'sw', algorithm: 'sliding-window', limit: 10, windowSeconds: 60 };
      const k = key();
      const w0 = Math.floor(T0 / 60_000) * 60_000;
      for (let i = 0; i < 10; i++) assert.equal((await s.consume(k, p, w0 + 1000)).allowed, true);
      const r = await s.consume(k, p, w0 + 2000);
      assert.equal(r.allowed, false);
      // 58 s to the window's end, then 6 s until 10 x (1 - 0.1) + 1 <= 10
      assert.equal(r.retryAfterSeconds, 64);
      // half-way through the next window the previous 10 count as 5: 5 more fit
      let ok = 0;
      for (let i = 0; i < 8; i++) if ((await s.consume(k, p, w0 + 90_000)).allowed) ok++;
      assert.equal(ok, 5);
      // two windows later everything is forgotten
      assert.equal((await s.consume(k, p, w0 + 200_000)).remaining, 9);
    } finally { await s.close?.(); }
  });

  test(`${label}: keys and policies are independent`, { skip: opts.skip }, async () => {
    const s = await make();
    try {
      const p: RatePolicy = { name: 'ind', algorithm: 'token-bucket', limit: 1, windowSeconds: 60 };
      const q: RatePolicy = { name: 'ind2', algorithm: 'token-bucket', limit: 1, windowSeconds: 60 };
      const a = key(), b = key();
      assert.equal((await s.consume(a, p, T0)).allowed, true);
      assert.equal((await s.consume(a, p, T0)).allowed, false);
      assert.equal((await s.consume(b, p, T0)).allowed, true);
      assert.equal((await s.consume(a, q, T0)).allowed, true);
    } finally { await s.close?.(); }
  });

  test(`${label}: concurrent consumes never over-admit`, { skip: opts.skip }, async () => {
    const s = await make();
    try {
      const p: RatePolicy = { name: 'conc', algorithm: 'sliding-window', limit: 20, windowSeconds: 60 };
      const k = key();
      const results = await Promise.all(Array.from({ length: 60 }, () => s.consume(k, p, T0)));
      assert.equal(results.filter((r) => r.allowed).length, 20);
    } finally { await s.close?.(); }
  });
}
