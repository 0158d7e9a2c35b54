// Fault injection for the kill -9 tests: `STRATA_CRASH_AT=<point>[:<n>]` freezes the process the
// n-th time (default 1) it reaches the named point, after saying so on stderr, so a test can send
// it a real SIGKILL exactly there. Unset (always, outside tests) it costs one comparison.
import { writeSync } from 'node:fs';

/**
 * @example
 * const crash = crashPoint(process.env.STRATA_CRASH_AT);
 * crash('relay:after-handoff'); // frozen here when STRATA_CRASH_AT=relay:after-handoff
 */
export function crashPoint(spec: string | undefined): (point: string) => void {
  if (!spec) return () => undefined;
  const m = /^(.+?)(?::(\d+))?$/.exec(spec.trim());
  const name = m?.[1] ?? spec;
  let left = Number(m?.[2] ?? 1);
  return (point) => {
    if (point !== name || --left > 0) return;
    writeSync(2, `strata: crash point ${point} reached (pid ${process.pid})\n`);
    // nothing else in this process runs again: no timer, no I/O, no commit
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
}
