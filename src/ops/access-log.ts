// One access line per request, in the same JSON shape pino writes, built as
// a string and handed to the logger's own destination: pino's generic
// serializer cost ~5 µs a request in profiles, this costs well under one.
import { pino, type Logger } from 'pino';

export interface AccessEntry {
  reqId: string;
  /** Undefined when the address is unknown (written as null). */
  ip: string | undefined;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export type AccessLog = (e: AccessEntry) => void;

type Destination = { write(line: string): void };
const destinationOf = (log: Logger) => (log as unknown as Record<symbol, Destination>)[pino.symbols.streamSym];
/** Access lines not yet handed to a destination, per destination (a logger and its children share one). */
const pendingOf = new WeakMap<Destination, () => void>();

/** Hands the pending access lines of a logger's destination to it now (flushLogger does, before a flush or an exit). */
export function flushAccessLines(log: Logger): void {
  const d = destinationOf(log);
  if (d) pendingOf.get(d)?.();
}

/**
 * Returns the writer, or undefined when info lines are off. Lines are joined and handed to the destination
 * once per turn of the event loop (setImmediate), not one write call per request: under load one turn answers
 * many requests, and each write call to the destination cost about 10% of a small request's CPU in profiles.
 * A line waits at most one turn; flushLogger (shutdown, a fatal error) writes what is pending first.
 */
export function accessLog(log: Logger): AccessLog | undefined {
  if (!log.isLevelEnabled('info')) return undefined;
  const stream = destinationOf(log);
  const head = `{"level":${pino.levels.values.info},"time":`;
  const pid = `,"pid":${process.pid},"reqId":`;
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const lines = pending;
    pending = '';
    stream.write(lines);
  };
  pendingOf.set(stream, flush);
  return (e) => {
    // Strings through JSON.stringify: paths and request ids are client input.
    pending += `${head}${Date.now()}${pid}${JSON.stringify(e.reqId)},"ip":${JSON.stringify(e.ip ?? null)},"method":${JSON.stringify(e.method)},"path":${JSON.stringify(e.path)},"status":${e.status},"ms":${e.ms},"msg":"request"}\n`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
