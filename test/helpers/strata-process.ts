// Starts Strata as a child process the way the README does (bin/strata.mjs
// serve), on free ports and a temporary data dir, and reads its banner.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/strata.mjs');
/** tsx's loader by absolute URL: children run in temp dirs where a bare `tsx` would not resolve. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface StrataProcess {
  proc: ChildProcess;
  cwd: string;
  http?: string;
  https?: string;
  ca?: string;
  output: () => string;
  stderr: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function tempDir(prefix = 'strata-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface SpawnOptions {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Node script to run instead of bin/strata.mjs (a fixture), with tsx loaded. */
  script?: string;
}

/** Runs a command to completion (for bad-config cases). */
export async function runStrata(opts: SpawnOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnRaw(opts);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(p, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

function spawnRaw(opts: SpawnOptions): ChildProcess {
  const cwd = opts.cwd ?? tempDir();
  const args = opts.script ? ['--import', TSX, opts.script, ...(opts.args ?? [])] : [BIN, ...(opts.args ?? ['serve', '--port', '0', '--https-port', '0'])];
  return spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, STRATA_LOG_LEVEL: 'info', ...opts.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts Strata and resolves once it has printed where it listens. */
export async function startStrata(opts: SpawnOptions = {}): Promise<StrataProcess> {
  const cwd = opts.cwd ?? tempDir();
  const proc = spawnRaw({ ...opts, cwd });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ready = new Promise<void>((res, rej) => {
    // The banner is written in one piece; its health line comes after the listening lines.
    const check = () => {
      if (/ health: .*\n/.test(out)) res();
    };
    proc.stdout!.on('data', (d) => {
      out += d;
      check();
    });
    proc.stderr!.on('data', (d) => (err += d));
    proc.once('exit', (code) => rej(new Error(`strata exited (${code}) before listening:\n${out}\n${err}`)));
    // Generous: a loaded 2-core CI machine starting several workers through tsx is slow.
    setTimeout(() => rej(new Error(`strata did not start in 120s:\n${out}\n${err}`)), 120_000).unref();
  });
  try {
    await ready;
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const http = out.match(/listening on (http:\/\/\S+)/)?.[1];
  const https = out.match(/listening on (https:\/\/\S+)/)?.[1];
  const ca = out.match(/trust its CA to avoid warnings: (\S+)/)?.[1];
  return {
    proc,
    cwd,
    http,
    https,
    ca,
    output: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
