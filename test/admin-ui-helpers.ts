// The admin UI's test world: a real Strata (bin/strata.mjs serve) on a temp data dir, its first superuser made
// through the setup link, REST calls as that superuser, and headless Chromium (Debian's /usr/bin/chromium via
// playwright-core, the flags of test/realtime-browser.test.ts) with a fresh profile.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, startStrata, tempDir, type StrataProcess } from './helpers/strata-process.js';
import { smtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ROOT_EMAIL = 'root@example.com';
export const PASS = 'correct horse battery staple 42';
/** The SMTP password in strata.yaml, which the settings page must never show. */
export const SMTP_PASSWORD = 'smtp-pw-never-shown-42';

/** A skip reason when Chromium is missing (a failure under CI). */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing`);
  return `${CHROMIUM} is missing`;
}

export interface Res {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export interface AdminWorld {
  s: StrataProcess;
  base: string;
  root: string;
  call(method: string, path: string, opts?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<Res>;
  /** A fresh access token for the REST client (after logout-all ended the old one). */
  relogin(): Promise<void>;
  ctx: BrowserContext;
  page: Page;
  /** Console messages of the page that report a Content-Security-Policy violation. */
  cspViolations: string[];
  /** The SMTP server strata.yaml names (auth.email.smtp): the settings page's test mail lands here. */
  smtp: SmtpCapture;
  close(): Promise<void>;
}

/** A port in this suite's range nothing listens on: the operations page's dead upstream. */
export const DEAD_PORT = 21299;
/** For the operations page: a gateway pool whose only target is down, webhooks to a receiver on this machine, a rate limit on /limited. */
const OPS_YAML = `gateway:\n  pools: [{ name: gone, upstreams: [{ url: "http://127.0.0.1:${DEAD_PORT}" }], maxFails: 1, cooldownMs: 600000 }]\n  routes: [{ prefix: /gone, pool: gone, stripPrefix: true }]\nmessaging:\n  webhooks: { allowHttp: true, allowLoopback: true }\nwaf:\n  rateLimit: { rules: [{ name: demo, limit: 1, windowSeconds: 600, routes: ["/limited*"] }] }\n`;

/** Starts Strata (optionally with a `data:` section of strata.yaml), makes the first superuser, opens Chromium. */
export async function startAdminWorld(data?: { url: string; tablePrefix: string }): Promise<AdminWorld> {
  const dir = tempDir('strata-admin-ui-');
  const smtp = smtpCapture();
  const smtpPort = await smtp.start();
  // A consumer that fails each job's first delivery (dead-lettered at once) and succeeds when it is retried.
  mkdirSync(join(dir, 'functions'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'strata'), 'dir'); // what `strata init` does: function files import 'strata/functions'
  writeFileSync(
    join(dir, 'functions', 'jobs.ts'),
    `import { defineConsumer } from 'strata/functions';
const seen = new Set<string>();
export const flaky = defineConsumer({
  queue: 'flaky',
  maxAttempts: 1,
  async handler(job) {
    if (!seen.has(job.id)) {
      seen.add(job.id);
      throw new Error('first delivery fails');
    }
  },
});
`,
  );
  // For the operations page: a schedule that never fires during the tests.
  writeFileSync(join(dir, 'functions', 'nightly.ts'), `import { defineCron } from 'strata/functions';\nexport const report = defineCron({ name: 'nightly-report', schedule: '0 3 * * *', timezone: 'Europe/Paris', handler: () => undefined });\n`);
  writeFileSync(
    join(dir, 'strata.yaml'),
    // maxPerPage 50 (the records page's own size): an export then goes page by page after 50 records.
    `data:\n  maxPerPage: 50\n${data ? `  url: ${JSON.stringify(data.url)}\n  tablePrefix: ${data.tablePrefix}\n` : ''}auth:\n  throttle:\n    accountFreeAttempts: 50\n    ipFreeAttempts: 1000\n  email:\n    from: "Strata <no-reply@example.com>"\n    smtp: { host: 127.0.0.1, port: ${smtpPort}, security: none, user: mailer, password: ${JSON.stringify(SMTP_PASSWORD)} }\n${OPS_YAML}`,
  );
  const s = await startStrata({ cwd: dir, args: ['serve', '--port', '0', '--no-https', '--data-dir', join(dir, 'data')] });
  const base = s.http!;
  let root = '';
  const call: AdminWorld['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const token = opts.token === undefined ? root : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await r.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    return { status: r.status, headers: r.headers, body, text };
  };
  const setup = /_strata\/setup#(\S+)/.exec(s.output())?.[1];
  if (!setup) throw new Error(`no setup link in:\n${s.output()}`);
  const made = await call('POST', '/_strata/setup', { body: { token: decodeURIComponent(setup), email: ROOT_EMAIL, password: PASS }, token: null });
  if (made.status !== 201) throw new Error(`setup: ${made.status} ${made.text}`);
  const relogin = async () => {
    const login = await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: ROOT_EMAIL, password: PASS }, token: null });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
    root = String(login.body.token);
  };
  await relogin();
  const ctx = await chromium.launchPersistentContext(tempDir('strata-admin-chrome-'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return {
    s,
    base,
    get root() {
      return root;
    },
    call,
    relogin,
    ctx,
    page,
    cspViolations,
    smtp,
    async close() {
      await ctx.close().catch(() => undefined);
      await s.stop();
      await smtp.stop();
    },
  };
}

/** Signs in through the UI's form (password step). */
export async function uiSignIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/_/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Polls an async check until it holds (no timing thresholds: the test's own timeout bounds it). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
