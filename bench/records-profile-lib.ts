// Self time by function and area, and inclusive time, of a V8 CPU profile (bench/records-profile.ts, bench/grpc-profile.ts).
import { readFileSync } from 'node:fs';

export interface Node {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number };
  children?: number[];
}

const whereOf = (n: Node) => n.callFrame.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/').replace(/^file:\/\/.*\//, '');

/** The area a frame belongs to: a src/ capability folder, a package, node's internals, native code, GC. */
function areaOf(n: Node): string {
  const w = whereOf(n);
  const m = /^(src\/[^/]+(?:\/[^/.]+(?=\/))?|node_modules\/(?:@[^/]+\/)?[^/]+|bench)/.exec(w);
  if (m) return m[1];
  if (w.startsWith('node:')) return 'node:' + (w.includes('/esm/') || w.includes('/modules/') ? 'modules (start-up)' : w.slice(5).split('/').slice(0, 2).join('/'));
  return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
}

/** Self time per function and per area, and inclusive time per src/ function (µs), of one profile. */
export function selfTimes(file: string): { busy: number; byFn: Map<string, number>; byArea: Map<string, number>; inclusive: Map<string, number> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const keyOf = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${whereOf(n)}`;
  let busy = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return;
    const dt = p.timeDeltas[i] ?? 0;
    busy += dt;
    byFn.set(keyOf(n), (byFn.get(keyOf(n)) ?? 0) + dt);
    byArea.set(areaOf(n), (byArea.get(areaOf(n)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!;
      const k = whereOf(f).startsWith('src/') || whereOf(f).startsWith('node_modules/') ? keyOf(f) : areaOf(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  return { busy, byFn, byArea, inclusive };
}

/**
 * With STRATA_BENCH_PROFILE=<file> set: a V8 CPU profile of this process from SIGUSR2 (sent after the
 * warm-up, so start-up stays out) until the returned function runs (before the server stops).
 */
export async function profileOnSignal(): Promise<() => Promise<void>> {
  const file = process.env.STRATA_BENCH_PROFILE;
  if (!file) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  process.on('SIGUSR2', () => {
    void session.post('Profiler.enable').then(() => session.post('Profiler.setSamplingInterval', { interval: 200 })).then(() => session.post('Profiler.start'));
  });
  return async () => {
    const { profile } = await session.post('Profiler.stop').catch(() => ({ profile: undefined }));
    if (profile) writeFileSync(file, JSON.stringify(profile));
  };
}

/** utime + stime of a process in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / 100;
}


/** Prints a CPU profile's top self time by area and by function (and inclusive time when asked), as shares of busy time. */
export function printProfile(file: string, top: number, inclusive = false): void {
  const p = selfTimes(file);
  const show = (title: string, m: Map<string, number>, n: number) => {
    console.log(`-- ${title}`);
    for (const [fn, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((100 * t) / p.busy).toFixed(1).padStart(5)}%  ${fn}`);
  };
  show('self time by area', p.byArea, 20);
  show('self time by function', p.byFn, top);
  if (inclusive) show('inclusive time (src/ and packages)', p.inclusive, top);
}
