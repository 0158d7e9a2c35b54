// THE table of the parity contract: each row is an operation and, for each of the eight subjects,
// the secure outcome (what REST must answer, and so every other transport). Every cell passes on
// every transport since issue 13's holes closed; a cell that must wait for a fix carries a `todo`
// naming it.
import { remember, type Subject, type World } from './access-parity-world.js';
import type { Call, Transport } from './access-parity-transports.js';

export interface Row {
  name: string;
  op: { kind: Call['kind']; call(w: World): Call | Promise<Call> };
  /** Fields shown in the outcome beside each record's label (`expand.author.email` reads the expanded relation). */
  pick?: string[];
  /** The order of the records is part of the answer. */
  ordered?: boolean;
  /** Realtime subscribe (WebSocket, SSE) or gRPC Watch (gRPC, gRPC-Web, Connect): `change` makes records after subscribing. */
  stream?: 'subscribe' | 'watch';
  change?(w: World): Promise<string[]>;
  /** Transports that do not offer this row's operation, and why (beyond what the operation's kind implies). */
  notOffered?: Partial<Record<Transport, string>>;
  expect: Record<Subject, string>;
  /** Cells failing today: by subject (every transport) or `subject transport`. */
  todo?: Partial<Record<string, string>>;
}

const allow = (...records: string[]) => `allowed [${records.join(', ')}]`;
const deny = (status: number) => `denied ${status}`;
/** Every credential of a deleted account or from before logout-all is refused (401). */
const gone = { deleted: deny(401), revoked: deny(401) } as const;
const RPC = ['connect', 'grpc', 'grpc-web', 'grpc-web-text'];

const ALICE_EMAIL = "author.email ~ 'alice'";
const SHY_EMAIL = "email ~ 'shy'";
const NO_AUTH_RPC = Object.fromEntries(RPC.map((t) => [t, 'not offered: auth collections have no RecordService']));

async function make(w: World, collection: string, label: string, body: Record<string, unknown>): Promise<string> {
  return remember(w, label, (await w.asRoot('POST', `/api/collections/${collection}/records`, body)).id);
}

export const ROWS: Row[] = [
  {
    name: 'list notes (owner-only, encrypted field)',
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'notes' }) },
    pick: ['secret'],
    expect: { owner: allow('noteA secret=alice secret'), other: allow('noteB secret=bob secret'), member: allow(), anonymous: allow(), superuser: allow('noteA secret=alice secret', 'noteB secret=bob secret'), apikey: allow('noteA secret=alice secret'), ...gone },
  },
  {
    name: 'view a note',
    op: { kind: 'view', call: (w) => ({ kind: 'view', collection: 'notes', id: w.ids.noteA }) },
    pick: ['secret'],
    expect: { owner: allow('noteA secret=alice secret'), other: deny(404), member: deny(404), anonymous: deny(404), superuser: allow('noteA secret=alice secret'), apikey: allow('noteA secret=alice secret'), ...gone },
  },
  {
    name: "view alice's user record (default users rules)",
    op: { kind: 'view', call: (w) => ({ kind: 'view', collection: 'users', id: w.ids.alice }) },
    pick: ['email'],
    notOffered: Object.fromEntries(RPC.map((t) => [t, 'not offered: auth collections have no RecordService'])),
    expect: { owner: allow('alice email=alice@x'), other: deny(404), member: deny(404), anonymous: deny(404), superuser: allow('alice email=alice@x'), apikey: deny(403), ...gone },
  },
  {
    name: `filter posts on a hidden relation field (${ALICE_EMAIL})`,
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'posts', filter: ALICE_EMAIL }) },
    expect: { owner: allow('postA'), other: allow(), member: allow(), anonymous: allow(), superuser: allow('postA'), apikey: deny(403), ...gone },
  },
  {
    name: 'sort posts on a hidden relation field (author.email)',
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'posts', sort: 'author.email' }) },
    ordered: true,
    expect: { owner: deny(400), other: deny(400), member: deny(400), anonymous: deny(400), superuser: deny(400), apikey: deny(403), ...gone },
  },
  {
    name: 'aggregate notes (count)',
    op: { kind: 'aggregate', call: () => ({ kind: 'aggregate', collection: 'notes' }) },
    pick: ['count'],
    expect: { owner: allow('count=1'), other: allow('count=1'), member: allow('count=0'), anonymous: allow('count=0'), superuser: allow('count=2'), apikey: allow('count=1'), ...gone },
  },
  {
    name: `aggregate posts filtered on a hidden relation field (${ALICE_EMAIL})`,
    op: { kind: 'aggregate', call: () => ({ kind: 'aggregate', collection: 'posts', filter: ALICE_EMAIL }) },
    pick: ['count'],
    expect: { owner: allow('count=1'), other: allow('count=0'), member: allow('count=0'), anonymous: allow('count=0'), superuser: allow('count=1'), apikey: deny(403), ...gone },
  },
  {
    name: 'view a post with expand=author',
    op: { kind: 'view', call: (w) => ({ kind: 'view', collection: 'posts', id: w.ids.postA, expand: 'author' }) },
    pick: ['expand.author.email'],
    expect: { owner: allow('postA email=alice@x'), other: allow('postA email=-'), member: allow('postA email=-'), anonymous: allow('postA email=-'), superuser: allow('postA email=alice@x'), apikey: deny(403), ...gone },
  },
  {
    name: 'list posts with expand=author',
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'posts', expand: 'author' }) },
    pick: ['expand.author.email'],
    expect: { owner: allow('postA email=alice@x', 'postB email=-'), other: allow('postA email=-', 'postB email=bob@x'), member: allow('postA email=-', 'postB email=-'), anonymous: allow('postA email=-', 'postB email=-'), superuser: allow('postA email=alice@x', 'postB email=bob@x'), apikey: deny(403), ...gone },
  },
  {
    name: 'list people (a public auth collection): email only where emailVisibility is on',
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'people' }) },
    pick: ['email'],
    notOffered: NO_AUTH_RPC,
    expect: { owner: allow('open email=open@x', 'shy email=-'), other: allow('open email=open@x', 'shy email=-'), member: allow('open email=open@x', 'shy email=-'), anonymous: allow('open email=open@x', 'shy email=-'), superuser: allow('open email=open@x', 'shy email=shy@x'), apikey: deny(403), ...gone },
  },
  {
    name: `filter people on a hidden email (${SHY_EMAIL})`,
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'people', filter: SHY_EMAIL }) },
    notOffered: NO_AUTH_RPC,
    expect: { owner: allow(), other: allow(), member: allow(), anonymous: allow(), superuser: allow('shy'), apikey: deny(403), ...gone },
  },
  {
    name: "filter posts on a relation's hidden email (editor.email ~ 'shy')",
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'posts', filter: "editor.email ~ 'shy'" }) },
    expect: { owner: allow(), other: allow(), member: allow(), anonymous: allow(), superuser: allow('postA'), apikey: deny(403), ...gone },
  },
  {
    name: 'aggregate people grouped by email (superusers only)',
    op: { kind: 'aggregate', call: () => ({ kind: 'aggregate', collection: 'people', groupBy: 'email' }) },
    pick: ['count'],
    expect: { owner: deny(400), other: deny(400), member: deny(400), anonymous: deny(400), superuser: allow('count=1', 'count=1'), apikey: deny(403), ...gone },
  },
  {
    name: "aggregate people filtered on a hidden email (email ~ 'shy')",
    op: { kind: 'aggregate', call: () => ({ kind: 'aggregate', collection: 'people', filter: SHY_EMAIL }) },
    pick: ['count'],
    expect: { owner: allow('count=0'), other: allow('count=0'), member: allow('count=0'), anonymous: allow('count=0'), superuser: allow('count=1'), apikey: deny(403), ...gone },
  },
  {
    name: 'sort people by email (superusers only)',
    op: { kind: 'list', call: () => ({ kind: 'list', collection: 'people', sort: '-email' }) },
    ordered: true,
    notOffered: NO_AUTH_RPC,
    expect: { owner: deny(400), other: deny(400), member: deny(400), anonymous: deny(400), superuser: allow('shy', 'open'), apikey: deny(403), ...gone },
  },
  {
    name: 'view a post with expand=editor (an account of people)',
    op: { kind: 'view', call: (w) => ({ kind: 'view', collection: 'posts', id: w.ids.postA, expand: 'editor' }) },
    pick: ['expand.editor.email'],
    expect: { owner: allow('postA email=-'), other: allow('postA email=-'), member: allow('postA email=-'), anonymous: allow('postA email=-'), superuser: allow('postA email=shy@x'), apikey: deny(403), ...gone },
  },
  {
    name: 'subscribe to people: email only where emailVisibility is on',
    stream: 'subscribe',
    op: { kind: 'subscribe', call: () => ({ kind: 'subscribe', collection: 'people' }) },
    change: async (w) => [
      await make(w, 'people', 'liveShy', { email: `liveshy-${w.run}@example.com`, password: 'correct horse battery staple 42' }),
      await make(w, 'people', 'liveOpen', { email: `liveopen-${w.run}@example.com`, password: 'correct horse battery staple 42', emailVisibility: true }),
    ],
    pick: ['email'],
    notOffered: NO_AUTH_RPC,
    expect: { owner: allow('liveOpen email=liveopen@x', 'liveShy email=-'), other: allow('liveOpen email=liveopen@x', 'liveShy email=-'), member: allow('liveOpen email=liveopen@x', 'liveShy email=-'), anonymous: allow('liveOpen email=liveopen@x', 'liveShy email=-'), superuser: allow('liveOpen email=liveopen@x', 'liveShy email=liveshy@x'), apikey: deny(403), ...gone },
  },
  {
    name: 'subscribe to notes',
    stream: 'subscribe',
    op: { kind: 'subscribe', call: () => ({ kind: 'subscribe', collection: 'notes' }) },
    change: async (w) => [await make(w, 'notes', 'liveA', { body: 'l', secret: 'live alice', owner: w.ids.alice }), await make(w, 'notes', 'liveB', { body: 'l', secret: 'live bob', owner: w.ids.bob })],
    pick: ['secret'],
    expect: { owner: allow('liveA secret=live alice'), other: allow('liveB secret=live bob'), member: allow(), anonymous: allow(), superuser: allow('liveA secret=live alice', 'liveB secret=live bob'), apikey: allow('liveA secret=live alice'), ...gone },
  },
  {
    name: `subscribe to posts filtered on a hidden relation field (${ALICE_EMAIL})`,
    stream: 'subscribe',
    op: { kind: 'subscribe', call: () => ({ kind: 'subscribe', collection: 'posts', filter: ALICE_EMAIL }) },
    change: async (w) => [await make(w, 'posts', 'livePostA', { title: 'l', author: w.ids.alice }), await make(w, 'posts', 'livePostB', { title: 'l', author: w.ids.bob })],
    expect: { owner: allow('livePostA'), other: allow(), member: allow(), anonymous: allow(), superuser: allow('livePostA'), apikey: deny(403), ...gone },
  },
  {
    name: 'watch notes (gRPC Watch)',
    stream: 'watch',
    op: { kind: 'subscribe', call: () => ({ kind: 'subscribe', collection: 'notes' }) },
    change: async (w) => [await make(w, 'notes', 'watchA', { body: 'w', secret: 'watch alice', owner: w.ids.alice }), await make(w, 'notes', 'watchB', { body: 'w', secret: 'watch bob', owner: w.ids.bob })],
    pick: ['secret'],
    expect: { owner: allow('watchA secret=watch alice'), other: allow('watchB secret=watch bob'), member: allow(), anonymous: allow(), superuser: allow('watchA secret=watch alice', 'watchB secret=watch bob'), apikey: allow('watchA secret=watch alice'), ...gone },
  },
  {
    name: 'batch: update a note',
    op: { kind: 'batch', call: (w) => ({ kind: 'batch', operations: [{ action: 'update', collection: 'notes', id: w.ids.noteA, body: { body: 'batched' } }] }) },
    pick: ['body'],
    expect: { owner: allow('noteA body=batched'), other: deny(404), member: deny(404), anonymous: deny(404), superuser: allow('noteA body=batched'), apikey: deny(403), ...gone },
  },
  {
    name: "create a note owned by alice",
    op: { kind: 'create', call: (w) => ({ kind: 'create', collection: 'notes', body: { body: 'new', secret: 'new secret', owner: w.ids.alice } }) },
    pick: ['secret'],
    expect: { owner: allow('new secret=new secret'), other: deny(403), member: deny(403), anonymous: deny(403), superuser: allow('new secret=new secret'), apikey: deny(403), ...gone },
  },
  {
    name: "update alice's note",
    op: { kind: 'update', call: (w) => ({ kind: 'update', collection: 'notes', id: w.ids.noteA, body: { body: 'edited' } }) },
    pick: ['body'],
    expect: { owner: allow('noteA body=edited'), other: deny(404), member: deny(404), anonymous: deny(404), superuser: allow('noteA body=edited'), apikey: deny(403), ...gone },
  },
  {
    // The WAF reads every transport's body: REST's JSON, and the message Connect, gRPC-Web and gRPC decode
    // (the same JSON shape), so an attack in a field is refused (403, a WAF event) wherever it comes in.
    name: 'create a post whose title is an SQL injection (the WAF)',
    op: { kind: 'create', call: (w) => ({ kind: 'create', collection: 'posts', body: { title: "1' union select password, email from users--", author: w.ids.alice } }) },
    expect: { owner: deny(403), other: deny(403), member: deny(403), anonymous: deny(403), superuser: deny(403), apikey: deny(403), ...gone },
  },
  {
    // ...while Strata's own filter grammar, quotes and operators included, passes on every transport
    name: 'list posts with a filter of quotes, || and SQL words (the WAF lets it through)',
    op: { kind: 'list', call: (w) => ({ kind: 'list', collection: 'posts', filter: `title = 'by alice' || (title ~ 'select' && id = '${w.ids.postB}')` }) },
    expect: { owner: allow('postA'), other: allow('postA'), member: allow('postA'), anonymous: allow('postA'), superuser: allow('postA'), apikey: deny(403), ...gone },
  },
  {
    name: "delete a note of alice's",
    op: { kind: 'delete', call: async (w) => ({ kind: 'delete', collection: 'notes', id: await make(w, 'notes', 'doomed', { body: 'd', secret: 'd', owner: w.ids.alice }) }) },
    expect: { owner: allow(), other: deny(404), member: deny(404), anonymous: deny(404), superuser: allow(), apikey: deny(403), ...gone },
  },
];
