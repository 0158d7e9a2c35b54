// Records API correctness through the whole server (createServer on port 0: edge, WAF, auth, REST
// and Connect/gRPC-Web on one port), run per engine by test/api-server-{sqlite,postgres,mysql}.test.ts:
// bad input over every transport is a 4xx with a defined answer, never a 500 (issue 15).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

/** Public posts with full-text fields and a nullable integer (`rank`) to sort by. */
const CONFIG = (data: string) => `
${data ? `data:\n${data}\n` : ''}collections:
  - name: posts
    fields:
      - { name: title, type: text, required: true }
      - { name: body, type: text }
      - { name: rank, type: integer }
      - { name: published, type: date }
      - { name: meta, type: json }
    fullText: [title, body]
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;

export interface ServerRes {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  json: () => Record<string, unknown>;
}

/** `data` = the strata.yaml `data:` lines ('' for SQLite). */
export function apiServerContract(engine: string, data: () => string, skip: false | string): void {
  describe(`records API through the server: ${engine}`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-api-server-'));
    let server: StrataServer;
    let base = '';

    before(async () => {
      writeFileSync(join(dir, 'strata.yaml'), CONFIG(data()));
      const config = loadConfig({
        cwd: dir,
        env: {},
        overrides: { dataDir: dir, 'server.http.port': 0, 'server.http.h2c': true, 'server.https.enabled': false, 'server.shutdownGrace': 1000 },
      }).config;
      server = await createServer(config, pino({ level: 'silent' }));
      await server.start();
      base = server.edge.urls().find((u) => u.kind === 'http')?.url ?? '';
    });
    after(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function call(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<ServerRes> {
      const r = await fetch(base + path, { method, headers, body });
      const bytes = Buffer.from(await r.arrayBuffer());
      const text = bytes.toString('utf8');
      return { status: r.status, headers: r.headers, bytes, text, json: () => JSON.parse(text) };
    }
    const rpc = (method: string, body: unknown, contentType = 'application/json') =>
      call('POST', `/strata.posts.RecordService/${method}`, typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), { 'content-type': contentType });

    test('Connect List: a full-text search with no letters or digits is an empty match, not an error', async () => {
      const made = await rpc('Create', { record: { title: 'connect searchable', body: 'words' } });
      assert.equal(made.status, 200, made.text);
      const hit = await rpc('List', { filter: 'title @@ "searchable"' });
      assert.equal(hit.status, 200, hit.text);
      assert.equal((hit.json().items as unknown[]).length, 1);
      for (const q of ['"*"', '""', `"'"`, '"_"']) {
        const r = await rpc('List', { filter: `title @@ ${q}` });
        assert.equal(r.status, 200, `${q}: ${r.text}`);
        assert.deepEqual(r.json().items ?? [], [], q);
      }
    });

    test('Connect with a garbage binary body is 400 invalid_argument (not 500 internal)', async () => {
      for (const method of ['Create', 'List', 'Get']) {
        for (const body of [randomBytes(64), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]), Buffer.from([0x0a, 0x7f, 0x41])]) {
          for (const ct of ['application/proto', 'application/x-protobuf']) {
            const r = await rpc(method, body, ct);
            if (ct === 'application/x-protobuf') {
              assert.equal(r.status, 415, `${method} ${ct}: not a Connect media type`);
              continue;
            }
            assert.equal(r.status, 400, `${method} ${ct}: ${r.text}`);
            assert.equal(r.json().code, 'invalid_argument', r.text);
          }
        }
      }
      // gRPC-Web keeps gRPC's answer to an undecodable message (13 INTERNAL in the trailer frame, as grpc-go/java).
      const msg = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);
      const web = await call('POST', '/strata.posts.RecordService/Create', frame, { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' });
      assert.equal(web.status, 200);
      assert.match(web.text, /grpc-status: ?13\b/, web.text);
      assert.doesNotMatch(web.text, /node_modules|\/work\//);
    });
  });
}
