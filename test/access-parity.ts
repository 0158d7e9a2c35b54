// The transport parity contract of issue 13: ONE table of access scenarios (subject × operation),
// each row written as the secure outcome REST must give, run on every transport that offers the
// operation. A cell fails when its transport answers differently from the table or from REST.
// A row may carry a `todo` naming the fix a cell waits for (none do today); transports that do not offer an
// operation are listed as skipped with the reason. Run per engine by access-parity-{sqlite,postgres}.test.ts.
// PARITY_DUMP=<file> writes every cell's answer beside the table's; PARITY_TIMING=1 logs each row's time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { SUBJECTS, startWorld, type Subject, type World } from './access-parity-world.js';
import { adapters, TRANSPORTS, type Adapter, type Call, type Raw, type Stream, type Transport } from './access-parity-transports.js';
import { ROWS, type Row } from './access-parity-table.js';

export { ROWS, type Row };

/** `allowed [label field=value, ...]` (sorted unless the row's order matters) or `denied <class>`. */
function normalize(w: World, raw: Raw, pick: readonly string[] = [], ordered = false): string {
  if ('denied' in raw) return `denied ${raw.denied}`;
  const value = (r: Record<string, unknown>, path: string): string => {
    let v: unknown = r;
    for (const k of path.split('.')) {
      if (typeof v === 'string' && v.startsWith('{')) v = JSON.parse(v) as unknown; // expand over RPC is JSON text
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    }
    return v === undefined || v === null || v === '' ? '-' : String(v).replace(`-${w.run}@example.com`, '@x');
  };
  const items = raw.records.map((r) => [r.id === undefined ? '' : w.label(r.id), ...pick.map((p) => `${p.split('.').at(-1)}=${value(r, p)}`)].filter(Boolean).join(' '));
  if (!ordered) items.sort();
  return `allowed [${items.join(', ')}]`;
}

/** The transports a row runs on, or why one does not offer the operation. */
export function offered(row: Row, t: Transport): true | string {
  const kind = row.op.kind;
  const declared = row.notOffered?.[t];
  if (declared) return declared;
  if (t === 'rest') return true; // REST answers every row (streams: the list of the changed records)
  if (row.stream === 'subscribe') return t === 'ws' || t === 'sse' ? true : 'not offered: gRPC Watch takes no filter; the watch rows cover it';
  if (row.stream === 'watch') return t === 'ws' || t === 'sse' ? 'not offered: realtime is covered by the subscribe rows' : true;
  if (t === 'ws' || t === 'sse') return 'not offered: realtime only subscribes';
  if (kind === 'aggregate') return 'not offered: RecordService has no Aggregate';
  if (kind === 'batch') return 'not offered: RecordService has no Batch';
  return true;
}

function dump(got: Map<string, string>): string {
  const lines: string[] = [];
  for (const row of ROWS) {
    lines.push(`## ${row.name}`);
    for (const s of SUBJECTS) {
      const cells = TRANSPORTS.filter((t) => offered(row, t) === true).map((t) => {
        const o = got.get(key(row, s, t));
        return o === row.expect[s] ? `${t}: ok` : `${t}: ${o}`;
      });
      lines.push(`  ${s} (expect ${row.expect[s]}): ${cells.join(' | ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

const READS = new Set<Call['kind']>(['list', 'view', 'aggregate']);
const SUPERUSER_FIRST: readonly Subject[] = ['superuser', ...SUBJECTS.filter((s) => s !== 'superuser')];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (row: Row, s: Subject, t: Transport) => `${row.name}|${s}|${t}`;

async function runUnary(w: World, ad: Record<Transport, Adapter>, row: Row, out: Map<string, string>): Promise<void> {
  for (const t of TRANSPORTS) {
    if (offered(row, t) !== true) continue;
    const cell = async (s: Subject) => {
      try {
        const call = (await row.op.call(w)) as Exclude<Call, { kind: 'subscribe' }>;
        out.set(key(row, s, t), normalize(w, await ad[t].call!(call, w.credential[s]), row.pick, row.ordered));
      } catch (e) {
        out.set(key(row, s, t), `error: ${(e as Error).message}`);
      }
    };
    // The superuser first, so whatever the server keeps from its query (compiled SQL, caches) is there
    // when the others ask the same; then the others: reads at once, writes one by one (concurrent
    // writes of one record may rightly conflict, 412 on PostgreSQL).
    await cell('superuser');
    const others = SUBJECTS.filter((s) => s !== 'superuser');
    if (READS.has(row.op.kind)) await Promise.all(others.map(cell));
    else for (const s of others) await cell(s);
  }
}

/** Opens every subject's stream on every transport at once, makes the row's changes, then reads what each got. */
async function runStream(w: World, ad: Record<Transport, Adapter>, row: Row, out: Map<string, string>): Promise<void> {
  const call = (await row.op.call(w)) as Extract<Call, { kind: 'subscribe' }>;
  const open: Array<[Subject, Transport, Stream]> = [];
  for (const t of TRANSPORTS) {
    if (t === 'rest' || offered(row, t) !== true) continue;
    for (const s of SUBJECTS) {
      try {
        open.push([s, t, await ad[t].open!(call, w.credential[s])]);
      } catch (e) {
        out.set(key(row, s, t), `error: ${(e as Error).message}`);
      }
    }
  }
  const ids = await row.change!(w);
  const relevant = (st: Stream) => st.events().filter((r) => ids.includes(String(r.id)));
  // The superuser sees every change it may: once its streams have one, the others had their chance too.
  for (let waited = 0; waited < 10_000; waited += 100) {
    const su = open.filter(([s, , st]) => s === 'superuser' && st.refused === undefined);
    if (su.every(([, , st]) => relevant(st).length > 0)) break;
    await sleep(100);
  }
  await sleep(1000);
  for (const [s, t, st] of open) {
    out.set(key(row, s, t), st.refused !== undefined ? `denied ${st.refused}` : normalize(w, { records: relevant(st) }, row.pick));
    st.close();
  }
  // REST's answer: the changed records this subject may list (with the same filter).
  const only = ids.map((id) => `id = '${id}'`).join(' || ');
  for (const s of SUPERUSER_FIRST) {
    const raw = await ad.rest.call!({ kind: 'list', collection: call.collection, filter: call.filter ? `(${call.filter}) && (${only})` : only }, w.credential[s]);
    out.set(key(row, s, 'rest'), normalize(w, raw, row.pick));
  }
}

/** Registers the contract for one engine: `data` gives strata.yaml's `data:` lines ('' for SQLite). */
export function parityContract(engine: string, data: () => string, skip: false | string): void {
  describe(`access parity across transports: ${engine}`, { skip, timeout: 300_000 }, () => {
    let w: World | undefined;
    let ad: Record<Transport, Adapter> | undefined;
    const got = new Map<string, string>();
    before(async () => {
      const t0 = Date.now();
      w = await startWorld(data());
      if (process.env.PARITY_TIMING) console.log(`# ${Date.now() - t0} ms: world`);
      ad = adapters(w);
      // Reads first, then streams, then writes, so every read row sees the same records.
      for (const row of ROWS) {
        const t0 = Date.now();
        await (row.stream ? runStream(w, ad, row, got) : runUnary(w, ad, row, got));
        if (process.env.PARITY_TIMING) console.log(`# ${Date.now() - t0} ms: ${row.name}`);
      }
    });
    after(async () => {
      // PARITY_DUMP=file writes every cell's answer beside the table's (for reports and for writing todos).
      if (process.env.PARITY_DUMP) writeFileSync(process.env.PARITY_DUMP, dump(got));
      for (const a of Object.values(ad ?? {})) await a.close();
      await w?.stop();
    });
    for (const row of ROWS) {
      describe(row.name, () => {
        // Said once per transport, not per subject: this transport does not offer the operation.
        for (const t of TRANSPORTS) {
          const why = offered(row, t);
          if (why !== true) test(`${t}: not offered`, { skip: why }, () => {});
        }
        for (const s of SUBJECTS) {
          for (const t of TRANSPORTS) {
            if (offered(row, t) !== true) continue;
            const todo = row.todo?.[`${s} ${t}`] ?? row.todo?.[s];
            test(`${s} via ${t}`, todo ? { todo } : {}, () => {
              const outcome = got.get(key(row, s, t));
              assert.equal(outcome, row.expect[s], `${t} answered differently from the table`);
              assert.equal(outcome, got.get(key(row, s, 'rest')), `${t} answered differently from REST`);
            });
          }
        }
      });
    }
  });
}


