// Standard Webhooks signing (https://www.standardwebhooks.com): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}` with a `whsec_`-prefixed base64 secret,
// sent as `webhook-signature: v1,<base64>` (space-separated when several keys are live).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function key(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', key(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64')}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(secret: string, id: string, body: string, nowSec = Math.floor(Date.now() / 1000)): WebhookHeaders {
  return { 'webhook-id': id, 'webhook-timestamp': String(nowSec), 'webhook-signature': sign(secret, id, nowSec, body) };
}

/** Verify like a receiver does: a v1 signature matches (constant time) and the timestamp is within `toleranceSec`. */
export function verify(secret: string, headers: Record<string, string | undefined>, body: string, toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (!id || !Number.isInteger(ts) || !sigs || Math.abs(nowSec - ts) > toleranceSec) return false;
  const want = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64');
  return sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === want.length && timingSafeEqual(got, want);
  });
}
