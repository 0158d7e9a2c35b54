// Authenticated vs anonymous record reads (issue 4): one Strata server (edge + records API + auth hooks) pinned
// to core 0, wrk on core 1; GET one record anonymously, with a session cookie, a bearer JWT (EdDSA verify) and
// a bearer API key, alternated per round after a warm-up. Also reports argon2id verify throughput (login bound).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import argon2 from 'argon2';
import { median, progress, progressDone, ROOT, startServer, wrk, writeResults, type BenchOptions, type Row } from './lib.js';

export async function run(o: BenchOptions): Promise<void> {
  const srv = await startServer({ name: 'strata', cmd: [process.execPath, '--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'bench/auth-server.ts'), 'PORT', '.'] });
  try {
    const cwd = `/proc/${srv.proc.pid}/cwd`;
    const creds = JSON.parse(readFileSync(join(cwd, 'creds.json'), 'utf8')) as { id: string; jwt: string; apiKey: string; cookie: string };
    const url = `http://127.0.0.1:${srv.port}/api/collections/posts/records/${creds.id}`;
    const variants: Record<string, Record<string, string>> = {
      anonymous: {},
      'session cookie': { cookie: creds.cookie },
      'bearer JWT': { authorization: `Bearer ${creds.jwt}` },
      'API key': { authorization: `Bearer ${creds.apiKey}` },
    };
    const rows = alternateHeaders(url, variants, o);
    const base = median(rows[0].runs.map((r) => r.rps));
    const table = rows.map((r) => {
      const rps = median(r.runs.map((x) => x.rps));
      return {
        variant: r.name,
        'req/s (median)': Math.round(rps),
        spread: `${Math.round(Math.min(...r.runs.map((x) => x.rps)))}-${Math.round(Math.max(...r.runs.map((x) => x.rps)))}`,
        'p99 ms': Number(median(r.runs.map((x) => x.p99ms)).toFixed(2)),
        'anonymous/this': Number((base / rps).toFixed(2)),
        errors: r.runs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      };
    });
    console.table(table);
    const login = await argon2Throughput();
    console.log(`argon2id verify (m=19456 KiB, t=2, p=1), one process: ${login.perSecond.toFixed(1)}/s, ${login.msEach.toFixed(1)} ms each`);
    console.log('results:', writeResults('auth', { url: '/api/collections/posts/records/:id', table, rows, login }));
  } finally {
    await srv.stop();
  }
}

async function argon2Throughput(): Promise<{ perSecond: number; msEach: number }> {
  const opts = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
  const hash = await argon2.hash('bench password value', opts);
  await argon2.verify(hash, 'warm up');
  const n = 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await argon2.verify(hash, 'wrong password');
  const ms = (performance.now() - t0) / n;
  return { perSecond: 1000 / ms, msEach: ms };
}

/** Alternating wrk rounds over one running server with different request headers. */
export function alternateHeaders(url: string, variants: Record<string, Record<string, string>>, o: BenchOptions): Row[] {
  const names = Object.keys(variants);
  const rows: Row[] = names.map((name) => ({ name, runs: [] }));
  for (const name of names) {
    progress(`warm-up: ${name}`);
    wrk({ url, connections: o.connections, threads: 2, seconds: Math.min(3, o.seconds), headers: variants[name] });
  }
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, name] of names.entries()) {
      progress(`round ${round + 1}/${o.rounds}: ${name}, ${o.seconds}s`);
      rows[i].runs.push(wrk({ url, connections: o.connections, threads: 2, seconds: o.seconds, headers: variants[name] }));
    }
  }
  progressDone();
  return rows;
}
