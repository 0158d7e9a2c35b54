// `strata keys rotate`: a new field-encryption key becomes current and every encrypted value of every collection
// is re-encrypted under it in batches. Resumable: progress goes to a state file after each batch, old keys stay
// in the key file (values not yet rewritten still decrypt), and values already under the current key are skipped.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFieldCipher, fieldKeyFile, loadFieldKeys, reencryptRows, rotateFieldKeyFile, type EncryptedRow } from '../crypto/index.js';
import type { StrataConfig } from '../config/index.js';
import { aadOf, normalizeCollections, openFieldRotation, type Collection, type Db } from '../data/index.js';

export interface KeysRotateOptions {
  config: StrataConfig;
  /** Rows per batch (one transaction each). */
  batch?: number;
  /** Re-encrypt under the current key without adding one (STRATA_ENCRYPTION_KEY setups, or to encrypt old plaintext). */
  newKey?: boolean;
  /** Pause between batches, to spare a live database. */
  pauseMs?: number;
  /** Collections kept outside strata.yaml, added to the declared ones (default: the admin API's, from the database). */
  extraCollections?: (db: Db) => Promise<Collection[]>;
  env?: NodeJS.ProcessEnv;
  /** Progress output: a bar redrawn in place on a TTY, plain lines otherwise. */
  out: { write(s: string): void; isTTY?: boolean };
}

export interface KeysRotateResult {
  kid: string;
  resumed: boolean;
  rewritten: number;
  scanned: number;
  /** TOTP secrets moved to the current key. */
  totpRewritten: number;
}

interface RotationState {
  kid: string;
  /** Per collection: the last id handled, or true when done. */
  progress: Record<string, string | true>;
}

async function readState(path: string): Promise<RotationState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RotationState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeState(path: string, state: RotationState): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

function bar(done: number, total: number, label: string): string {
  const width = 30;
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const fill = Math.round(ratio * width);
  return `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total} ${label}\x1b[K`;
}

/**
 * @example
 * await keysRotate({ config, out: process.stdout });
 */
export async function keysRotate(o: KeysRotateOptions): Promise<KeysRotateResult> {
  const env = o.env ?? process.env;
  const batch = o.batch ?? 500;
  const keyFile = fieldKeyFile(o.config);
  const statePath = join(dirname(keyFile), 'rotation.json');
  const fromEnv = (env.STRATA_ENCRYPTION_KEY ?? '').trim() !== '';
  if (fromEnv && o.newKey !== false) {
    throw new Error('keys rotate: the keys come from STRATA_ENCRYPTION_KEY; put a new key first in it (kid:base64,oldkid:base64) and run `strata keys rotate --no-new-key`');
  }
  let keys = await loadFieldKeys({ keyFile, env: env.STRATA_ENCRYPTION_KEY });
  const source = await openFieldRotation({
    data: o.config.data,
    dataDir: resolve(o.config.dataDir),
    declared: normalizeCollections(o.config.collections),
    extraCollections: o.extraCollections,
  });
  const total = { scanned: 0, rewritten: 0, totpRewritten: 0 };
  let resumed = false;
  try {
    // Values the present keys cannot read (a lost key file, a wrong env key) stop us before a key is added.
    await source.checkKeys(createFieldCipher(keys));
    let state = fromEnv ? undefined : await readState(statePath);
    resumed = state !== undefined && state.kid === keys.current;
    if (!resumed) {
      if (o.newKey !== false) await rotateFieldKeyFile(keyFile);
      keys = await loadFieldKeys({ keyFile, env: env.STRATA_ENCRYPTION_KEY });
      state = { kid: keys.current, progress: {} };
      if (!fromEnv) await writeState(statePath, state);
    }
    const st = state!;
    // With env keys nothing is persisted: a rerun under the same current key skips what is done anyway.
    const save = (x: RotationState) => (fromEnv ? Promise.resolve() : writeState(statePath, x));
    const cipher = createFieldCipher(keys);
    for (const c of source.collections) {
      const table = source.rows(c);
      if (!table || st.progress[c.name] === true) continue;
      const { fields } = table;
      const after = (st.progress[c.name] as string | undefined) ?? null;
      const count = await table.count();
      let seen = after === null ? 0 : await table.count(after);
      const show = () => o.out.write(o.out.isTTY ? bar(seen, count, c.name) : `keys rotate: ${c.name} ${seen}/${count}\n`);
      // One batch = one read and one transaction of updates; the state file follows each committed batch.
      let pending: Array<{ id: string; values: Record<string, string>; read: Record<string, string | null> }> = [];
      const read = new Map<string, Record<string, string | null>>();
      const flush = async (cursor: string | null) => {
        if (pending.length > 0) {
          const rows = pending;
          pending = [];
          await table.write(rows);
        }
        if (cursor !== null) {
          st.progress[c.name] = cursor;
          await save(st);
        }
        show();
        if (o.pauseMs) await sleep(o.pauseMs);
      };
      async function* rows(from: string | null): AsyncIterable<EncryptedRow> {
        let cursor = from;
        for (;;) {
          const page = await table!.page(cursor, batch);
          read.clear();
          for (const { id, values } of page) {
            const aad: Record<string, string> = {};
            for (const f of fields) aad[f] = aadOf(c.name, f, id);
            read.set(id, values);
            yield { cursor: id, fields: values, aad };
          }
          if (page.length < batch) return;
          cursor = page[page.length - 1].id;
          await flush(cursor);
        }
      }
      show();
      const r = await reencryptRows({
        cipher,
        after,
        encryptPlaintext: true,
        rows,
        write: async (id, f) => void pending.push({ id, values: f, read: read.get(id)! }),
        onProgress: () => void seen++,
      });
      await flush(r.cursor);
      if (o.out.isTTY) o.out.write('\n');
      total.scanned += r.scanned;
      total.rewritten += r.rewritten;
      st.progress[c.name] = true;
      await save(st);
    }
    // TOTP secrets are sealed with the same keys: left under the old key they would keep it necessary forever.
    const totp = await source.totpSecrets(cipher);
    if (totp.scanned > 0) o.out.write(`keys rotate: TOTP secrets ${totp.rewritten}/${totp.scanned} re-encrypted\n`);
    total.totpRewritten = totp.rewritten;
  } finally {
    await source.close();
  }
  if (!fromEnv) await rm(statePath, { force: true });
  return { kid: keys.current, resumed, ...total };
}
