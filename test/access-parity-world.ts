// The world the transport parity contract (test/access-parity.ts) runs in: one real Strata server
// per engine (createServer on port 0, h2c on so gRPC shares the port), the collections of issue 13
// written to strata.yaml, and the eight subjects made the way a client makes them (sign-up, login,
// API key, self-delete, logout-all) over REST.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer, type StrataServer } from '../src/server/index.js';

export const SUBJECTS = ['owner', 'other', 'member', 'anonymous', 'superuser', 'apikey', 'deleted', 'revoked'] as const;
export type Subject = (typeof SUBJECTS)[number];

const PASSWORD = 'correct horse battery staple 42';
const OWN = 'id = @request.auth.id';

/** notes are owner-only with an encrypted field (the rules of docs/auth.md); posts are public with a relation to users. */
const CONFIG = (data: string) => `
${data ? `data:\n${data}\n` : ''}auth:
  throttle:
    accountFreeAttempts: 1000
    ipFreeAttempts: 100000
collections:
  - name: members
    type: auth
    fields:
      - { name: name, type: text }
    rules: { list: "${OWN}", view: "${OWN}", create: "", update: "${OWN}", delete: "${OWN}" }
  - name: people
    type: auth
    fields:
      - { name: name, type: text }
    rules: { list: "", view: "", create: "", update: "${OWN}", delete: "${OWN}" }
  - name: notes
    fields:
      - { name: body, type: text }
      - { name: secret, type: text, encrypted: true }
      - { name: owner, type: relation, collection: users }
    rules:
      list: "owner = @request.auth.id"
      view: "owner = @request.auth.id"
      create: "@request.auth.id != '' && owner = @request.auth.id"
      update: "owner = @request.auth.id && (@request.body.owner:isset = false || @request.body.owner = @request.auth.id)"
      delete: "owner = @request.auth.id"
  - name: posts
    fields:
      - { name: title, type: text }
      - { name: author, type: relation, collection: users }
      - { name: editor, type: relation, collection: people }
    rules:
      list: ""
      view: ""
      create: "@request.auth.id != '' && author = @request.auth.id"
      update: "author = @request.auth.id"
      delete: "author = @request.auth.id"
`;

export interface World {
  server: StrataServer;
  /** http://127.0.0.1:port: REST, Connect, gRPC-Web, WebSocket and SSE over HTTP/1.1, gRPC over h2c. */
  base: string;
  /** The bearer credential of each subject (undefined: anonymous). */
  credential: Record<Subject, string | undefined>;
  /** Record ids by label (alice, bob, member, shy, open, noteA, noteB, postA, postB) and labels by id. */
  ids: Record<string, string>;
  label(id: unknown): string;
  /** The unique run tag in every email address (alice-<run>@example.com). */
  run: string;
  /** A REST call as the superuser; throws unless the status is the expected one. */
  asRoot(method: string, path: string, body?: unknown, expect?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

interface Res {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Res> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: r.status, body: parsed };
}

async function must(p: Promise<Res>, status: number, what: string): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Starts the server for one engine (`data` = the strata.yaml `data:` lines, '' for SQLite) and builds the subjects. */
export async function startWorld(data: string): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-parity-'));
  writeFileSync(join(dir, 'strata.yaml'), CONFIG(data));
  const config = loadConfig({
    cwd: dir,
    env: {},
    overrides: { dataDir: dir, 'server.http.port': 0, 'server.http.h2c': true, 'server.https.enabled': false, 'server.shutdownGrace': 1000 },
  }).config;
  const server = await createServer(config, pino({ level: 'silent' }));
  try {
    return await buildWorld(server, dir);
  } catch (e) {
    // a failed setup must not leave the server holding the test process open until its timeout
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function buildWorld(server: StrataServer, dir: string): Promise<World> {
  await server.start();
  const base = server.edge.urls().find((u) => u.kind === 'http')?.url ?? '';
  const run = Math.random().toString(36).slice(2, 8);
  const email = (who: string) => `${who}-${run}@example.com`;
  const ids: Record<string, string> = {};

  // The superuser, through the one-time setup link a fresh install prints.
  await must(call(base, 'POST', '/_strata/setup', { token: server.setupToken, email: email('root'), password: PASSWORD }), 201, 'setup');
  const rootToken = String((await must(call(base, 'POST', '/api/collections/_superusers/auth/login', { identity: email('root'), password: PASSWORD }), 200, 'root login')).token);

  const signup = async (collection: string, who: string, extra: Record<string, unknown> = {}) =>
    call(base, 'POST', `/api/collections/${collection}/records`, { email: email(who), password: PASSWORD, passwordConfirm: PASSWORD, name: who, ...extra });
  const login = async (collection: string, who: string) =>
    String((await must(call(base, 'POST', `/api/collections/${collection}/auth/login`, { identity: email(who), password: PASSWORD }), 200, `${who} login`)).token);

  await Promise.all(['alice', 'bob', 'dave', 'carol'].map(async (who) => (ids[who] = String((await must(signup('users', who), 201, `${who} sign-up`)).id))));
  // The other auth collection's user tries to take alice's id (hole 1); where ids are server-made it gets its own.
  const taken = await signup('members', 'mallory', { id: ids.alice });
  ids.member = String((taken.status === 201 ? taken.body : await must(signup('members', 'mallory'), 201, 'member sign-up')).id);

  const [alice, bob, dave, carol, member] = await Promise.all([login('users', 'alice'), login('users', 'bob'), login('users', 'dave'), login('users', 'carol'), login('members', 'mallory')]);
  const tokens = { alice, bob, dave, carol };
  const key = String((await must(call(base, 'POST', '/api/collections/users/auth/api-keys', { name: 'notes reader', scopes: ['records:notes:read'] }, tokens.alice), 201, 'api key')).key);

  const asRoot = (method: string, path: string, body?: unknown, expect = method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200) =>
    must(call(base, method, path, body, rootToken), expect, `${method} ${path}`);
  ids.noteA = String((await asRoot('POST', '/api/collections/notes/records', { body: 'a', secret: 'alice secret', owner: ids.alice })).id);
  ids.noteB = String((await asRoot('POST', '/api/collections/notes/records', { body: 'b', secret: 'bob secret', owner: ids.bob })).id);
  // Public accounts of a public auth collection: one shows its address to everyone, one does not.
  ids.shy = String((await asRoot('POST', '/api/collections/people/records', { email: email('shy'), password: PASSWORD, name: 'shy' })).id);
  ids.open = String((await asRoot('POST', '/api/collections/people/records', { email: email('open'), password: PASSWORD, name: 'open', emailVisibility: true })).id);
  ids.postA = String((await asRoot('POST', '/api/collections/posts/records', { title: 'by alice', author: ids.alice, editor: ids.shy })).id);
  ids.postB = String((await asRoot('POST', '/api/collections/posts/records', { title: 'by bob', author: ids.bob })).id);

  // The deleted user keeps the token it had; the revoked one logged out everywhere after taking it.
  await must(call(base, 'DELETE', `/api/collections/users/records/${ids.dave}`, undefined, tokens.dave), 204, 'self-delete');
  await must(call(base, 'POST', '/api/collections/users/auth/logout-all', undefined, tokens.carol), 204, 'logout-all');

  // The first label wins: a members account that took alice's id is reported as alice.
  const byId = new Map<string, string>();
  for (const [k, v] of Object.entries(ids)) if (!byId.has(v)) byId.set(v, k);
  return {
    server,
    base,
    run,
    ids,
    credential: { owner: tokens.alice, other: tokens.bob, member, anonymous: undefined, superuser: rootToken, apikey: key, deleted: tokens.dave, revoked: tokens.carol },
    label: (id) => byId.get(String(id)) ?? (typeof id === 'string' && id ? 'new' : String(id)),
    asRoot,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Gives a record made during the run a label, so outcomes name it rather than its random id. */
export function remember(w: World, label: string, id: unknown): string {
  w.ids[label] = String(id);
  const prev = w.label;
  w.label = (x) => (String(x) === String(id) ? label : prev(x));
  return String(id);
}
