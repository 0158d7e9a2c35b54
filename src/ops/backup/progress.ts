// Progress of long operations: a bar redrawn in place on a TTY, one JSON line per phase step otherwise
// (at most one a second per phase, and the last one always).
export interface ProgressOut {
  write(s: string): unknown;
  isTTY?: boolean;
}

const human = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n}`);

/**
 * @example
 * const progress = progressWriter(process.stderr, 'backup');
 * progress('archive', 10_000, 40_000);
 */
export function progressWriter(out: ProgressOut, label: string, now: () => number = Date.now): (phase: string, done: number, total: number) => void {
  let last = 0;
  let lastPhase = '';
  return (phase, done, total) => {
    const t = now();
    const end = total > 0 && done >= total;
    if (phase === lastPhase && !end && t - last < (out.isTTY ? 100 : 1000)) return;
    last = t;
    lastPhase = phase;
    const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
    if (out.isTTY) {
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      out.write(`\r${label} ${phase.padEnd(18).slice(0, 18)} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${String(pct).padStart(3)}% ${human(done)}/${human(total)}${end ? '\n' : ''}`);
    } else {
      out.write(`${JSON.stringify({ op: label, phase, done, total, pct })}\n`);
    }
  };
}
