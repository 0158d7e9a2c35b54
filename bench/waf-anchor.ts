// `npm run bench -- waf-anchor [paranoia=1,2] [engine=crs,legacy] [corpus=file.jsonl]... [concurrency=8] [strata-only]`
// Detection and false positives of Strata's WAF beside the anchor, Apache 2.4 +
// mod_security2 + OWASP CRS 3.3 (Debian's packages), on the same requests sent byte for
// byte: per family, per category and per location, the held-out part apart.
// Strata: the whole server, block mode, a collection, and a catch-all gateway route
// `{prefix: /, pool: app}` to an upstream that reads every body and answers 200.
// ModSecurity: a catch-all CGI that reads the body and answers 200 (bench/waf-anchor-apache.ts).
// A request counts as stopped when the answer is not that 200 (403 from either WAF, 400/413
// from a body processor or a server refusing it).
import { createServer as httpServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';
import { ROOT, writeResults, type BenchOptions } from './lib.js';
import { discoverCorpus, loadCorpusFile, type AnchorRequest } from './waf-anchor-corpus.js';
import { anchorMissing, startAnchor } from './waf-anchor-apache.js';
import { replayAll, type Outcome } from './waf-anchor-replay.js';
import { CORPUS_COLLECTIONS } from '../test/waf-corpus.js';

interface Target { name: string; port: number; version?: string; stop(): Promise<void> }

/** An upstream that reads every body and answers 200 `ok`. */
async function catchAll(): Promise<{ server: Server; port: number }> {
  const server = httpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** Strata as shipped, block mode at `paranoia`, everything outside /api/ proxied to a body-reading catch-all. */
export async function startStrata(paranoia: number, engine?: string): Promise<Target> {
  const up = await catchAll();
  const dir = mkdtempSync(join(tmpdir(), 'strata-waf-anchor-'));
  const { config } = loadConfig({
    cwd: dir,
    env: {},
    overrides: {
      dataDir: dir, 'server.http.port': 0, 'server.https.enabled': false, 'log.level': 'silent', 'log.access': false, 'metrics.enabled': false,
      'waf.mode': 'block', 'waf.paranoia': paranoia, ...(engine ? { 'waf.engine': engine } : {}),
      'gateway.pools': [{ name: 'app', upstreams: [{ url: `http://127.0.0.1:${up.port}` }] }],
      'gateway.routes': [{ prefix: '/', pool: 'app' }],
      // the collection the corpus's records-route samples (filters) query
      collections: CORPUS_COLLECTIONS,
    },
  });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  return {
    name: 'strata',
    port: Number(new URL(server.edge.urls()[0].url).port),
    async stop() {
      await server.stop();
      await new Promise((r) => up.server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Cell = { stopped: number; total: number };
type Table = Map<string, Map<string, Cell>>; // row -> column -> cell

const pct = (c: Cell | undefined) => (c && c.total > 0 ? `${((100 * c.stopped) / c.total).toFixed(1)}%` : '–');

function add(t: Table, row: string, col: string, stopped: boolean): void {
  let r = t.get(row);
  if (!r) t.set(row, (r = new Map()));
  const c = r.get(col) ?? { stopped: 0, total: 0 };
  c.total++;
  if (stopped) c.stopped++;
  r.set(col, c);
}

function markdown(title: string, t: Table, cols: string[]): string {
  const rows = [...t.keys()].sort();
  const lines = [`\n${title}\n`, `| | n | ${cols.join(' | ')} |`, `|---|---|${cols.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = t.get(r) as Map<string, Cell>;
    const n = [...cells.values()][0]?.total ?? 0;
    lines.push(`| ${r} | ${n} | ${cols.map((c) => pct(cells.get(c))).join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface AnchorRun { paranoia: number; target: string; outcomes: Outcome[] }

/** Per-family / per-category / per-location tables of one or more runs over `reqs`. */
export function report(reqs: AnchorRequest[], runs: AnchorRun[]): { text: string; tables: Record<string, Record<string, Record<string, Cell>>> } {
  const cols = runs.map((r) => `${r.target} PL${r.paranoia}`);
  const tables: Record<string, Table> = {};
  const table = (name: string) => (tables[name] ??= new Map());
  runs.forEach((run, k) => {
    const col = cols[k];
    reqs.forEach((q, i) => {
      const stopped = run.outcomes[i] !== 200;
      const part = q.heldOut ? 'held-out' : 'tuned-on';
      if (q.attack) {
        add(table(`attacks by family (${part})`), q.family, col, stopped);
        add(table('attacks by family (all)'), q.family, col, stopped);
        add(table('attacks by family (all)'), '**all**', col, stopped);
        add(table('attacks by category (all)'), q.category, col, stopped);
        add(table('attacks by location (all)'), q.location, col, stopped);
      } else {
        add(table(`false positives by category (${part})`), q.category, col, stopped);
        add(table('false positives by category (all)'), q.category, col, stopped);
        add(table('false positives by category (all)'), '**all**', col, stopped);
      }
    });
  });
  const order = ['attacks by family (all)', 'attacks by family (tuned-on)', 'attacks by family (held-out)', 'attacks by category (all)', 'attacks by location (all)', 'false positives by category (all)', 'false positives by category (tuned-on)', 'false positives by category (held-out)'];
  const text = order.filter((n) => tables[n]).map((n) => markdown(`#### ${n}: share stopped`, tables[n], cols)).join('\n');
  const plain: Record<string, Record<string, Record<string, Cell>>> = {};
  for (const [n, t] of Object.entries(tables)) plain[n] = Object.fromEntries([...t].map(([r, m]) => [r, Object.fromEntries(m)]));
  return { text, tables: plain };
}

export async function run(o: BenchOptions): Promise<void> {
  // bench/run.ts passes positionals: key=value pairs and flags
  const { values } = parseArgs({ args: o.args.map((a) => `--${a}`), options: { paranoia: { type: 'string' }, corpus: { type: 'string', multiple: true }, concurrency: { type: 'string' }, 'strata-only': { type: 'boolean' }, engine: { type: 'string' } } });
  // engine=crs,legacy: one Strata column per engine (default: the configured default)
  const engines = values.engine ? values.engine.split(',') : [undefined];
  const levels = (values.paranoia ?? '1,2').split(',').map(Number);
  const reqs: AnchorRequest[] = values.corpus?.length ? values.corpus.flatMap((f) => loadCorpusFile(f)) : await discoverCorpus(ROOT);
  const concurrency = Number(values.concurrency ?? 8);
  const missing = values['strata-only'] ? 'not asked for (--strata-only)' : anchorMissing();
  if (missing) console.log(`ModSecurity + CRS left out: ${missing}`);
  console.log(`corpus: ${reqs.filter((r) => r.attack).length} attacks, ${reqs.filter((r) => !r.attack).length} benign (${reqs.filter((r) => r.heldOut).length} held out)`);
  const runs: AnchorRun[] = [];
  let anchorVersion: string | undefined;
  for (const pl of levels) {
    const starters: Array<() => Promise<Target>> = engines.map((e) => async () => ({ ...(await startStrata(pl, e)), name: e ? `strata-${e}` : 'strata' }));
    if (!missing) starters.push(async () => { const a = await startAnchor(pl); anchorVersion = a.version; return { name: 'modsecurity', ...a }; });
    for (const start of starters) {
      const t = await start();
      const began = Date.now();
      try {
        const outcomes = await replayAll(t.port, reqs, concurrency);
        runs.push({ paranoia: pl, target: t.name, outcomes });
        console.log(`${t.name} PL${pl}: ${reqs.length} requests in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      } finally {
        await t.stop();
      }
    }
  }
  const r = report(reqs, runs);
  console.log(r.text);
  const file = writeResults('waf-anchor', {
    anchor: anchorVersion ?? missing, levels, corpus: { attacks: reqs.filter((q) => q.attack).length, benign: reqs.filter((q) => !q.attack).length, heldOut: reqs.filter((q) => q.heldOut).length },
    tables: r.tables,
    // per request (id, attack, heldOut, then one status per column), so a later run can be diffed request by request
    columns: ['id', 'attack', 'heldOut', ...runs.map((x) => `${x.target} PL${x.paranoia}`)],
    requests: reqs.map((q, i) => [q.id, q.attack ? 1 : 0, q.heldOut ? 1 : 0, ...runs.map((x) => x.outcomes[i])]),
  });
  console.log(`\nresults: ${file}`);
}
