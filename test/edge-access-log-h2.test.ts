// Over HTTP/2 every access-log line is valid JSON with the client's address (it was `"ip":undefined`:
// the request's socket is gone once the stream ends, when the line is written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { readFileSync, rmSync } from 'node:fs';
import { startStrata, tempDir } from './helpers/strata-process.js';

test('access-log lines over HTTP/2 (TLS, ALPN h2) are JSON and name the client address', async () => {
  const dir = tempDir('strata-h2log-');
  const s = await startStrata({ cwd: dir, args: ['serve', '--no-http', '--https-port', '0', '--data-dir', dir] });
  try {
    const session = http2.connect(s.https!, { ca: readFileSync(s.ca!) });
    for (const path of ['/api/health', '/api/collections/users/records', '/nothing-here']) {
      await new Promise<void>((resolve, reject) => {
        const r = session.request({ ':path': path });
        r.on('error', reject);
        r.resume();
        r.on('end', resolve);
        r.end();
      });
    }
    session.close();
    let lines: string[] = [];
    for (let i = 0; i < 50 && lines.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      lines = s.output().split('\n').filter((l) => l.includes('"msg":"request"'));
    }
    assert.equal(lines.length, 3, s.output());
    for (const line of lines) {
      const entry = JSON.parse(line) as { ip: unknown; path: string };
      assert.match(String(entry.ip), /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/, line);
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
