// Retention of backup archives: keep the newest archive of each of the last N days, weeks and months
// (UTC; ISO weeks start on Monday) and the newest of all; delete the rest, and what interrupted backups
// left behind (`.partial` archives, `.staging-*` folders) once they are an hour old.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Keep {
  daily: number;
  weekly: number;
  monthly: number;
}

const NAME = /^strata-backup-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z\.sbk$/;

/** The time an archive's name records, or undefined for files that are not archives. */
export function archiveTime(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : undefined;
}

function isoWeek(t: number): string {
  const d = new Date(t);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round((thursday.getTime() - firstThursday.getTime()) / (7 * 86_400_000) - ((firstThursday.getUTCDay() + 6) % 7 - 3) / 7);
  return `${thursday.getUTCFullYear()}-W${week}`;
}

/** Which archive names to keep (the rest may go), given their times. */
export function keepers(names: string[], keep: Keep): Set<string> {
  const dated = names.map((n) => ({ n, t: archiveTime(n) })).filter((x): x is { n: string; t: number } => x.t !== undefined).sort((a, b) => b.t - a.t);
  const out = new Set<string>();
  if (dated.length > 0) out.add(dated[0].n);
  const rule = (limit: number, bucket: (t: number) => string) => {
    const seen = new Set<string>();
    for (const x of dated) {
      const b = bucket(x.t);
      if (seen.has(b)) continue;
      if (seen.size >= limit) break;
      seen.add(b);
      out.add(x.n);
    }
  };
  rule(keep.daily, (t) => new Date(t).toISOString().slice(0, 10));
  rule(keep.weekly, isoWeek);
  rule(keep.monthly, (t) => new Date(t).toISOString().slice(0, 7));
  return out;
}

/** Deletes archives `keepers` does not keep and stale leftovers; returns the names deleted. */
export async function pruneArchives(dir: string, keep: Keep, now = Date.now()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const kept = keepers(names, keep);
  const gone: string[] = [];
  for (const n of names) {
    const stale = (n.endsWith('.sbk.partial') || n.startsWith('.staging-')) && now - (await stat(join(dir, n))).mtimeMs > 3_600_000;
    if ((archiveTime(n) !== undefined && !kept.has(n)) || stale) {
      await rm(join(dir, n), { recursive: true, force: true });
      gone.push(n);
    }
  }
  return gone;
}
