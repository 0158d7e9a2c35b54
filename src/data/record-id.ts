// Record ids: 20 lower-case base32 characters, 10 of time (ms) then 10 random, so ids sort by
// creation time in every collation and need no escaping in URLs (the ULID idea, lower-cased).
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const ID_PATTERN = /^[a-z0-9]{5,32}$/;

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** A new sortable id; ids made in the same millisecond by this process still increase. */
export function newRecordId(now = Date.now()): string {
  if (now <= lastTime) {
    // bump the random part so ids stay increasing within one millisecond
    let i = 9;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i >= 0) lastRandom[i]++;
    now = lastTime;
  } else {
    const bytes = randomBytes(10);
    lastRandom = Array.from(bytes, (b) => b & 31);
    lastRandom[0] &= 15; // headroom for bumps
    lastTime = now;
  }
  return encodeTime(now) + lastRandom.map((n) => ALPHABET[n]).join('');
}
