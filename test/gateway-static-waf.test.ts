// What docs/gateway.md promises for traversal and dotfiles on a served static site, with the default
// WAF (block) in front and without it (issue 22 item 10). Raw sockets: clients normalize `..` away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
    s.on('error', reject);
  });
}

async function site(t: import('node:test').TestContext, waf: 'block' | 'off') {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-static-waf-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const www = join(dataDir, 'www');
  mkdirSync(join(www, '.well-known'), { recursive: true });
  mkdirSync(join(www, '.git'));
  writeFileSync(join(www, 'index.html'), 'home');
  writeFileSync(join(www, '.env'), 'SECRET=1');
  writeFileSync(join(www, '.hidden'), 'HIDDEN-CONTENT');
  writeFileSync(join(www, '.git', 'config'), 'GIT-CONTENT');
  writeFileSync(join(www, '.well-known', 'security.txt'), 'contact: me');
  writeFileSync(join(dataDir, 'strata.yaml'), `gateway:\n  sites: [{ name: www, root: ${JSON.stringify(www)} }]\n  routes:\n    - { prefix: /, site: www }\n`);
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false, 'waf.mode': waf } });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const port = Number(new URL(server.edge.urls()[0].url).port);
  return { raw: (path: string) => rawGet(port, path), base: server.edge.urls()[0].url };
}

// [path, status with the default WAF, status without it]
const table: [string, number, number][] = [
  ['/../../etc/passwd', 403, 400],
  ['/%2e%2e/%2e%2e/etc/passwd', 403, 400],
  ['/index.html%00.png', 403, 400],
  ['/.env', 403, 404],
  ['/.git/config', 403, 404],
  ['/%252e%252e/etc/passwd', 403, 400],
  ['/..%5c..%5cetc/passwd', 403, 400],
  ['/%c0%ae%c0%ae/etc/passwd', 400, 400],
  ['/.hidden', 404, 404],
];

for (const mode of ['block', 'off'] as const) {
  test(`static site, waf.mode ${mode}: traversal is 400 (403 when the WAF sees it first), dotfiles 404, .well-known served`, async (t) => {
    const { raw: get, base } = await site(t, mode);
    for (const [path, withWaf, without] of table) {
      const r = await get(path);
      const want = mode === 'block' ? withWaf : without;
      assert.equal(r.status, want, `${path}: ${r.body}`);
      const type = want === 403 ? 'strata/waf-blocked' : want === 400 ? 'strata/bad-request' : 'strata/not-found';
      // Overlong UTF-8 never reaches the site: Fastify's router refuses the URL itself (FST_ERR_BAD_URL, 400).
      if (path.includes('%c0') && want === 400) continue;
      assert.equal((JSON.parse(r.body) as { type: string }).type, type, `${path}: ${r.body}`);
      assert.doesNotMatch(r.body, /SECRET=1|GIT-CONTENT|HIDDEN-CONTENT|root:/, path);
    }
    assert.equal(await (await fetch(`${base}/.well-known/security.txt`)).text(), 'contact: me');
    assert.equal(await (await fetch(`${base}/`)).text(), 'home');
  });
}
