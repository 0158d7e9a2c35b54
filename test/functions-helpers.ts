// Shared by the functions tests: a temp app dir whose function files import 'strata/functions'
// (node_modules/strata links to this checkout), and an in-process server on port 0.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

export const ROOT = resolve(import.meta.dirname, '..');

export function appDir(files: Record<string, string>, yaml = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-fn-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'strata'), 'dir');
  writeFileSync(join(dir, 'strata.yaml'), yaml);
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export interface TestServer {
  server: StrataServer;
  url: string;
  logs: () => string;
}

/** Builds and starts Strata in this process with the app dir's functions; logs are captured. */
export async function startApp(dir: string, overrides: Record<string, unknown> = {}): Promise<TestServer> {
  let logs = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk;
      cb();
    },
  });
  const { config } = loadConfig({ cwd: dir, file: join(dir, 'strata.yaml'), env: {}, overrides: { dataDir: join(dir, 'data'), 'server.http.port': 0, 'server.https.enabled': false, 'functions.dir': join(dir, 'functions'), ...overrides } });
  const server = await createServer(config, pino({ level: 'info' }, sink));
  await server.start();
  const url = server.edge.urls().find((u) => u.kind === 'http')!.url;
  return { server, url, logs: () => logs };
}

export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
