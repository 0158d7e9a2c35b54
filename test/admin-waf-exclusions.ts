// Runtime WAF exclusions over the admin API (/api/admin/waf/exclusions), on SQLite and PostgreSQL
// (admin-waf-exclusions-sqlite.test.ts, admin-waf-exclusions-postgres.test.ts), as a
// real server would see them: superusers only; bad input is a 400 problem; an exclusion scoped to a
// collection's field or to a route + parameter lets exactly that request through at once (no restart) and
// nothing else; it is audited, kept in the database (a second instance started on the same database
// applies it, and picks up a removal made on the first), and removing it blocks the request again.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { appDir, startApp, until, type TestServer } from './functions-helpers.js';
import { existingTables, wafExclusionTable } from '../src/data/index.js';

const PASSWORD = 'correct horse battery staple 42';
const YAML = `
collections:
  - name: posts
    fields: [{ name: title, type: text }, { name: body, type: text }]
    rules: { list: "", view: "", create: "", update: "", delete: "" }
`;
const XSS = '<script>alert(document.cookie)</script>';
const SQLI = "1' OR '1'='1' UNION SELECT password FROM users--";
const X = '/api/admin/waf/exclusions';

type Json = Record<string, any>;

export function wafExclusionsSuite(engine: string, data: () => Record<string, unknown>, skip: string | false) {
  describe(`runtime WAF exclusions (${engine})`, { skip: skip || undefined }, () => {
    const dir = appDir({}, YAML);
    const servers: TestServer[] = [];
    after(async () => {
      for (const s of servers.reverse()) await s.server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const call = async (base: string, method: string, path: string, o: { body?: unknown; token?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
      const text = await r.text();
      let json: Json = {};
      try {
        json = JSON.parse(text) as Json;
      } catch {
        /* empty */
      }
      return { status: r.status, type: r.headers.get('content-type') ?? '', json, text };
    };

    test('added from an event, it applies at once to that place only, is audited, survives in the database for another instance, and is removed', async () => {
      const a = await startApp(dir, data());
      servers.push(a);
      const A = a.url;
      assert.equal((await call(A, 'POST', '/_strata/setup', { body: { token: a.server.setupToken, email: 'root@example.com', password: PASSWORD } })).status, 201);
      const root = String((await call(A, 'POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: PASSWORD } })).json.token);
      assert.equal((await call(A, 'POST', '/api/collections/users/records', { body: { email: 'u@example.com', password: PASSWORD, passwordConfirm: PASSWORD } })).status, 201);
      const user = String((await call(A, 'POST', '/api/collections/users/auth/login', { body: { identity: 'u@example.com', password: PASSWORD } })).json.token);

      // who may call
      const anon = await call(A, 'GET', X);
      assert.equal(anon.status, 401);
      assert.match(anon.type, /^application\/problem\+json/);
      assert.equal((await call(A, 'POST', X, { token: user, body: { rules: ['941100'], collection: 'posts' } })).status, 403);
      assert.deepEqual((await call(A, 'GET', X, { token: root })).json, { items: [], configured: [] });

      // bad input: a clear 400 problem, nothing stored
      const bad: Array<[unknown, RegExp]> = [
        [{}, /rules/],
        [{ rules: [] }, /rules/],
        [{ rules: ['941100'] }, /route|collection/],
        [{ rules: ['not a rule id!'], route: '/x' }, /rules/],
        [{ rules: Array.from({ length: 21 }, (_, i) => `r${i}`), route: '/x' }, /rules/],
        [{ rules: ['941100'], route: '/x', parameter: 'nowhere:q' }, /unknown location "nowhere"/],
        [{ rules: ['941100'], route: '/x', field: 'title' }, /name its collection/],
        [{ rules: ['941100'], route: 'no-slash' }, /route/],
        [{ rules: ['941100'], route: '/x', methods: ['BREW'] }, /methods/],
        [{ rules: ["941100"], route: "/x", colour: "red" }, /Unknown key "colour"/],
      ];
      for (const [body, detail] of bad) {
        const r = await call(A, 'POST', X, { token: root, body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.json.type, 'strata/validation', r.text);
        assert.match(`${r.json.detail} ${JSON.stringify(r.json.errors ?? [])}`, detail, r.text);
      }
      assert.equal((await call(A, 'DELETE', `${X}/wx_${'0'.repeat(24)}`, { token: root })).json.type, 'strata/not-found');
      assert.equal((await call(A, 'DELETE', `${X}/nope`, { token: root })).status, 400);
      assert.deepEqual((await call(A, 'GET', X, { token: root })).json.items, []);

      // a block in a record field: the event names the rule, where, and the collection field
      const post = (base: string, body: Json) => call(base, 'POST', '/api/collections/posts/records', { body });
      const blocked = await post(A, { title: XSS });
      assert.equal(blocked.status, 403, blocked.text);
      const event = (await call(A, 'GET', `/api/admin/waf/events/${blocked.json.eventId}`, { token: root })).json;
      const inTitle = (event.detections as Json[]).filter((d) => d.field === 'posts.title');
      assert.ok(inTitle.length > 0, JSON.stringify(event.detections));
      const xssRules = [...new Set(inTitle.map((d) => String(d.rule)))];
      const fieldEx = await call(A, 'POST', X, { token: root, body: { rules: xssRules, collection: 'posts', field: 'title', note: 'titles quote HTML' } });
      assert.equal(fieldEx.status, 201, fieldEx.text);
      assert.match(String(fieldEx.json.id), /^wx_[0-9a-f]{24}$/);
      // at once, no restart: that field passes; the same value in another field is still blocked
      const passed = await post(A, { title: XSS });
      assert.equal(passed.status, 201, passed.text);
      assert.equal(passed.json.title, XSS);
      assert.equal((await post(A, { title: 'ok', body: XSS })).status, 403);

      // a block in a query parameter, excluded for that route, method and parameter only
      const q = encodeURIComponent(SQLI);
      const qBlocked = await call(A, 'GET', `/api/collections/posts/records?q=${q}`);
      assert.equal(qBlocked.status, 403, qBlocked.text);
      const qEvent = (await call(A, 'GET', `/api/admin/waf/events/${qBlocked.json.eventId}`, { token: root })).json;
      const inQ = (qEvent.detections as Json[]).filter((d) => d.location === 'query' && d.name === 'q');
      assert.ok(inQ.length > 0, JSON.stringify(qEvent.detections));
      const routeEx = await call(A, 'POST', X, { token: root, body: { route: qEvent.route, methods: ['GET'], parameter: 'query:q', rules: [...new Set(inQ.map((d) => String(d.rule)))] } });
      assert.equal(routeEx.status, 201, routeEx.text);
      assert.notEqual((await call(A, 'GET', `/api/collections/posts/records?q=${q}`)).json.type, 'strata/waf-blocked');
      assert.equal((await call(A, 'GET', `/api/collections/posts/records?other=${q}`)).status, 403, 'another parameter');
      assert.equal((await call(A, 'DELETE', `/api/collections/posts/records/x?q=${q}`)).status, 403, 'another method');

      // kept in the data database, in <tablePrefix>_strata_waf_exclusions
      const table = `${a.server.data.names.prefix}_strata_waf_exclusions`;
      assert.equal(wafExclusionTable(a.server.data.names), table);
      assert.ok((await existingTables(a.server.data.db, [table])).has(table), table);
      const list = (await call(A, 'GET', X, { token: root })).json.items as Json[];
      assert.deepEqual(list.map((e) => e.id), [fieldEx.json.id, routeEx.json.id]);
      assert.equal(list[0].note, 'titles quote HTML');
      const audit = (await call(A, 'GET', '/api/admin/audit?action=waf.exclusion.add', { token: root })).json.items as Json[];
      assert.deepEqual(audit.map((e) => e.target).sort(), [`waf/exclusions/${fieldEx.json.id}`, `waf/exclusions/${routeEx.json.id}`].sort());
      assert.deepEqual(audit.find((e) => e.target.endsWith(fieldEx.json.id))?.details.rules, xssRules);

      // kept in the database: an instance started on it now applies both
      const b = await startApp(dir, { ...data(), dataDir: `${dir}/data${engine === 'sqlite' ? '' : '-b'}` });
      servers.push(b);
      assert.equal((await post(b.url, { title: XSS })).status, 201);
      assert.equal((await post(b.url, { body: XSS })).status, 403);

      // removed on the first instance: blocked there at once, and on the other after its refresh
      const del = await call(A, 'DELETE', `${X}/${fieldEx.json.id}`, { token: root });
      assert.equal(del.status, 204, del.text);
      assert.equal((await post(A, { title: XSS })).status, 403);
      await until(async () => (await post(b.url, { title: XSS })).status === 403 || undefined, 'the other instance to drop the exclusion');
      assert.equal((await call(A, 'DELETE', `${X}/${fieldEx.json.id}`, { token: root })).status, 404);
      const removed = (await call(A, 'GET', '/api/admin/audit?action=waf.exclusion.remove', { token: root })).json.items as Json[];
      assert.deepEqual(removed.map((e) => e.target), [`waf/exclusions/${fieldEx.json.id}`]);
      const rootB = String((await call(b.url, 'POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: PASSWORD } })).json.token);
      assert.deepEqual(((await call(b.url, 'GET', X, { token: rootB })).json.items as Json[]).map((e) => e.id), [routeEx.json.id]);
    });
  });
}
