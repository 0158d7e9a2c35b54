import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DecryptionError } from './errors.js';
import { createFieldCipher, ENCRYPTED_PREFIX } from './field-crypto.js';
import { loadFieldKeys, parseKeyEnv, rotateFieldKeyFile, type FieldKeySet } from './field-keys.js';
import { reencryptRows, type EncryptedRow } from './field-rotate.js';

const keyset = (...kids: string[]): FieldKeySet => ({ current: kids[0], keys: new Map(kids.map((k) => [k, randomBytes(32)])) });
const isDecErr = (e: unknown) => e instanceof DecryptionError && !String((e as Error).message).includes('/');

test('AES-256-GCM round trip, documented format, random IV, unicode and empty strings', () => {
  const c = createFieldCipher(keyset('k1'));
  for (const s of ['123-45-6789', '', 'žluťoučký kůň 🐎', 'x'.repeat(100_000)]) {
    const v = c.encrypt(s, 'users/ssn/r1');
    assert.match(v, /^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]*$/);
    assert.equal(c.decrypt(v, 'users/ssn/r1'), s);
  }
  assert.notEqual(c.encrypt('same'), c.encrypt('same'), 'fresh IV each time');
  assert.equal(c.keyIdOf(c.encrypt('a')), 'k1');
  assert.equal(c.isEncrypted('plain'), false);
  assert.equal(c.isEncrypted(c.encrypt('a')), true);
});

test('tampering, wrong key, unknown kid, wrong or missing AAD are all refused with one error', () => {
  const ks = keyset('k1');
  const c = createFieldCipher(ks);
  const v = c.encrypt('secret value', 'users/ssn/r1');
  const [pre, ver, kid, iv, tag, ct] = v.split(':');
  const flip = (s: string) => {
    const b = Buffer.from(s, 'base64url');
    b[0] ^= 1;
    return b.toString('base64url');
  };
  const variants = [
    [pre, ver, kid, iv, tag, flip(ct)], // ciphertext bit flip
    [pre, ver, kid, iv, flip(tag), ct], // tag
    [pre, ver, kid, flip(iv), tag, ct], // iv
    [pre, ver, kid, iv, tag.slice(0, 8), ct], // truncated tag
    [pre, ver, 'k2', iv, tag, ct], // unknown key id
    [pre, 'v2', kid, iv, tag, ct], // unknown version
  ].map((p) => p.join(':'));
  for (const bad of variants) assert.throws(() => c.decrypt(bad, 'users/ssn/r1'), isDecErr, bad);
  assert.throws(() => c.decrypt(v, 'users/ssn/r2'), isDecErr, 'moved to another record');
  assert.throws(() => c.decrypt(v), isDecErr, 'AAD missing');
  assert.throws(() => c.decrypt('plain text', 'x'), isDecErr);
  const sameKidOtherKey = createFieldCipher({ current: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
  assert.throws(() => sameKidOtherKey.decrypt(v, 'users/ssn/r1'), isDecErr, 'same kid, different key');
  assert.equal(c.decrypt(v, 'users/ssn/r1'), 'secret value', 'control');
});

test('STRATA_ENCRYPTION_KEY: single key or kid:key list; bad keys rejected', () => {
  const k = randomBytes(32).toString('base64');
  const one = parseKeyEnv(k);
  assert.match(one.current, /^k[0-9a-f]{8}$/);
  assert.equal(parseKeyEnv(k).current, one.current, 'derived id is stable');
  const many = parseKeyEnv(`new:${randomBytes(32).toString('base64')}, old:${k}`);
  assert.equal(many.current, 'new');
  assert.deepEqual([...many.keys.keys()], ['new', 'old']);
  assert.throws(() => parseKeyEnv(randomBytes(16).toString('base64')), /32 bytes/);
  assert.throws(() => parseKeyEnv(`bad id!:${k}`), /invalid key id/);
  assert.throws(() => parseKeyEnv(' '), /empty/);
});

test('key file: created 0600 on first use, reused, rotated with old keys kept; env wins', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'strata-auth-')), 'keys', 'encryption.json');
  const a = await loadFieldKeys({ keyFile: file });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = await loadFieldKeys({ keyFile: file });
  assert.equal(again.current, a.current);
  assert.deepEqual(again.keys.get(a.current), a.keys.get(a.current));
  const newKid = await rotateFieldKeyFile(file);
  const after = await loadFieldKeys({ keyFile: file });
  assert.equal(after.current, newKid);
  assert.ok(after.keys.has(a.current));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const before = readFileSync(file, 'utf8');
  const env = await loadFieldKeys({ keyFile: file, env: `e1:${randomBytes(32).toString('base64')}` });
  assert.equal(env.current, 'e1');
  // (not a substring check: random base64 keys contain "e1" about one time in fifty)
  assert.equal(readFileSync(file, 'utf8'), before, 'an env key never touches the key file');
  assert.ok(!('e1' in (JSON.parse(before) as { keys: Record<string, string> }).keys));
});

test('rotation re-encrypts under the new key, skips current values, keeps AAD, resumes from a cursor', async () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const oldC = createFieldCipher({ current: 'k1', keys: new Map([['k1', k1]]) });
  const newC = createFieldCipher({ current: 'k2', keys: new Map([['k1', k1], ['k2', k2]]) });
  const table = new Map<string, { ssn: string | null; note: string | null }>();
  for (let i = 0; i < 10; i++) {
    const id = `r${String(i).padStart(2, '0')}`;
    table.set(id, { ssn: oldC.encrypt(`ssn-${i}`, `p/ssn/${id}`), note: i % 3 === 0 ? null : oldC.encrypt(`note-${i}`, `p/note/${id}`) });
  }
  table.get('r05')!.ssn = newC.encrypt('ssn-5', 'p/ssn/r05'); // already rotated
  table.get('r05')!.note = newC.encrypt('note-5', 'p/note/r05');
  async function* rows(after: string | null): AsyncIterable<EncryptedRow> {
    for (const id of [...table.keys()].sort()) {
      if (after !== null && id <= after) continue;
      const r = table.get(id)!;
      yield { cursor: id, fields: { ...r }, aad: { ssn: `p/ssn/${id}`, note: `p/note/${id}` } };
    }
  }
  const writes: string[] = [];
  const write = async (cursor: string, fields: Record<string, string>) => {
    writes.push(cursor);
    Object.assign(table.get(cursor)!, fields);
  };

  // First run is interrupted after 4 rows.
  const ac = new AbortController();
  const seen: string[] = [];
  const first = await reencryptRows({
    cipher: newC, rows, write, signal: ac.signal,
    onProgress: (p) => {
      seen.push(p.cursor!);
      if (p.scanned === 4) ac.abort();
    },
  });
  assert.equal(first.complete, false);
  assert.equal(first.cursor, 'r03');
  assert.deepEqual(seen, ['r00', 'r01', 'r02', 'r03']);

  const second = await reencryptRows({ cipher: newC, rows, write, after: first.cursor });
  assert.equal(second.complete, true);
  assert.equal(second.scanned, 6);
  assert.equal(second.rewritten, 5, 'r05 was already current');
  assert.ok(!writes.includes('r05'));
  assert.equal(new Set(writes).size, writes.length, 'no row written twice');
  for (const [id, r] of table) {
    assert.equal(newC.keyIdOf(r.ssn!), 'k2');
    assert.equal(newC.decrypt(r.ssn!, `p/ssn/${id}`), `ssn-${Number(id.slice(1))}`);
    if (r.note) assert.equal(newC.decrypt(r.note, `p/note/${id}`), `note-${Number(id.slice(1))}`);
  }
  const third = await reencryptRows({ cipher: newC, rows, write });
  assert.equal(third.rewritten, 0, 'idempotent');
  assert.ok(Object.keys(table.get('r00')!).length === 2 && ENCRYPTED_PREFIX === 'enc:v1:');
});

test('rotation: a tampered row fails loudly instead of being re-encrypted; plaintext is skipped unless asked', async () => {
  const k1 = randomBytes(32);
  const oldC = createFieldCipher({ current: 'k1', keys: new Map([['k1', k1]]) });
  const newC = createFieldCipher({ current: 'k2', keys: new Map([['k1', k1], ['k2', randomBytes(32)]]) });
  const bad = oldC.encrypt('x').replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
  async function* rows(): AsyncIterable<EncryptedRow> {
    yield { cursor: 'a', fields: { f: bad } };
  }
  await assert.rejects(reencryptRows({ cipher: newC, rows, write: async () => {} }), DecryptionError);
  const parts = oldC.encrypt('x').split(':');
  parts[5] = Buffer.from(Buffer.from(parts[5], 'base64url').map((b) => b ^ 0x80)).toString('base64url');
  async function* rows2(): AsyncIterable<EncryptedRow> {
    yield { cursor: 'a', fields: { f: parts.join(':') } };
  }
  await assert.rejects(reencryptRows({ cipher: newC, rows: rows2, write: async () => {} }), DecryptionError);
  // Non-canonical base64url (padding bits set in the last character of a 1-byte ciphertext) and junk after the prefix.
  const one = oldC.encrypt('x').split(':');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  one[5] = one[5][0] + alphabet[alphabet.indexOf(one[5][1]) | 1];
  assert.throws(() => newC.decrypt(one.join(':')), DecryptionError);
  for (const junk of [one.join(':'), 'enc:v1:k1:!!:x:y', 'enc:v1:']) {
    async function* r(): AsyncIterable<EncryptedRow> {
      yield { cursor: 'a', fields: { f: junk } };
    }
    await assert.rejects(reencryptRows({ cipher: newC, rows: r, write: async () => {}, encryptPlaintext: true }), DecryptionError, junk);
  }
  const out: Record<string, string>[] = [];
  async function* plain(): AsyncIterable<EncryptedRow> {
    yield { cursor: 'a', fields: { f: 'legacy plaintext' } };
  }
  assert.equal((await reencryptRows({ cipher: newC, rows: plain, write: async (_c, f) => void out.push(f) })).rewritten, 0);
  await reencryptRows({ cipher: newC, rows: plain, write: async (_c, f) => void out.push(f), encryptPlaintext: true });
  assert.equal(newC.decrypt(out[0].f), 'legacy plaintext');
});

test('key file and secret file: concurrent first starts agree on one key', async () => {
  const { loadOrCreateSecret } = await import('./secret-file.js');
  const dir = mkdtempSync(join(tmpdir(), 'strata-auth-'));
  const sets = await Promise.all(Array.from({ length: 8 }, () => loadFieldKeys({ keyFile: join(dir, 'keys', 'encryption.json') })));
  assert.equal(new Set(sets.map((s) => s.current)).size, 1);
  assert.equal(new Set(sets.map((s) => s.keys.get(s.current)!.toString('hex'))).size, 1);
  const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(join(dir, 'keys', 'csrf.key'))));
  assert.equal(new Set(secrets.map((s) => s.toString('hex'))).size, 1);
  assert.equal(statSync(join(dir, 'keys', 'csrf.key')).mode & 0o777, 0o600);
});
