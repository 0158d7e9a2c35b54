// `strata keys rotate`: a new field-encryption key becomes current and every encrypted value of every collection
// is re-encrypted under it in batches. Resumable: progress goes to a state file after each batch, old keys stay
// in the key file (values not yet rewritten still decrypt), and values already under the current key are skipped.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createFieldCipher, loadFieldKeys, reencryptRows, rotateFieldKeyFile, type EncryptedRow } from '../auth/index.js';
import type { StrataConfig } from '../config/index.js';
import { aadOf, checkFieldKeys, existingTables, normalizeCollections, storedCollections, openDatabase, tableNames, type Collection, type Db } from '../data/index.js';

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
}

interface RotationState {
  kid: string;
  /** Per collection: the last id handled, or true when done. */
  progress: Record<string, string | true>;
}

export function fieldKeyFile(config: StrataConfig): string {
  const keyDir = config.auth.tokens.keyDir || join(resolve(config.dataDir), 'keys');
  return resolve(config.auth.encryption.keyFile || join(keyDir, 'encryption.json'));
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
  const { db } = await openDatabase({ url: o.config.data.url, dataDir: resolve(o.config.dataDir), poolSize: 2, busyTimeout: o.config.data.busyTimeout });
  const names = tableNames(o.config.data.tablePrefix);
  const total = { scanned: 0, rewritten: 0 };
  let resumed = false;
  try {
    const declared = normalizeCollections(o.config.collections);
    const extra = await (o.extraCollections ?? ((d: Db) => storedCollections(d, o.config.data.tablePrefix)))(db);
    const all = [...declared, ...extra.filter((c) => !declared.some((d) => d.name === c.name))];
    const tables = await existingTables(db, all.map((c) => names.record(c.name)));
    // Values the present keys cannot read (a lost key file, a wrong env key) stop us before a key is added.
    await checkFieldKeys(db, names, all.filter((c) => tables.has(names.record(c.name))), createFieldCipher(keys));
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
    for (const c of all) {
      const fields = c.fields.filter((f) => f.encrypted).map((f) => f.name);
      const table = names.record(c.name);
      // not migrated yet: nothing stored to rotate
      if (fields.length === 0 || st.progress[c.name] === true || !tables.has(table)) continue;
      const after = (st.progress[c.name] as string | undefined) ?? null;
      const count = Number((await db.selectFrom(table).select(sql<number>`COUNT(*)`.as('n')).executeTakeFirstOrThrow()).n);
      let seen = after === null ? 0 : Number((await db.selectFrom(table).select(sql<number>`COUNT(*)`.as('n')).where('id', '<=', after).executeTakeFirstOrThrow()).n);
      const show = () => o.out.write(o.out.isTTY ? bar(seen, count, c.name) : `keys rotate: ${c.name} ${seen}/${count}\n`);
      // One batch = one read and one transaction of updates; the state file follows each committed batch.
      let pending: Array<{ id: string; fields: Record<string, string> }> = [];
      const read = new Map<string, Record<string, string | null>>();
      const flush = async (cursor: string | null) => {
        if (pending.length > 0) {
          const rows = pending;
          pending = [];
          await db.transaction().execute(async (tx) => {
            // Only where the value is still the one read: a concurrent write is newer and wins.
            for (const r of rows) {
              for (const [f, v] of Object.entries(r.fields)) {
                await tx.updateTable(table).set({ [f]: v }).where('id', '=', r.id).where(f, '=', read.get(r.id)![f]).execute();
              }
            }
          });
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
          let q = db.selectFrom(table).select(['id', ...fields]).orderBy('id').limit(batch);
          if (cursor !== null) q = q.where('id', '>', cursor);
          const page = (await q.execute()) as Array<Record<string, unknown>>;
          read.clear();
          for (const r of page) {
            const id = String(r.id);
            const values: Record<string, string | null> = {};
            const aad: Record<string, string> = {};
            for (const f of fields) {
              const v = r[f];
              values[f] = v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
              aad[f] = aadOf(c.name, f, id);
            }
            read.set(id, values);
            yield { cursor: id, fields: values, aad };
          }
          if (page.length < batch) return;
          cursor = String(page[page.length - 1].id);
          await flush(cursor);
        }
      }
      show();
      const r = await reencryptRows({
        cipher,
        after,
        encryptPlaintext: true,
        rows,
        write: async (id, f) => void pending.push({ id, fields: f }),
        onProgress: () => void seen++,
      });
      await flush(r.cursor);
      if (o.out.isTTY) o.out.write('\n');
      total.scanned += r.scanned;
      total.rewritten += r.rewritten;
      st.progress[c.name] = true;
      await save(st);
    }
  } finally {
    await db.destroy();
  }
  if (!fromEnv) await rm(statePath, { force: true });
  return { kid: keys.current, resumed, ...total };
}
