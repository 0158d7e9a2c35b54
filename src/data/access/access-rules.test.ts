// A principal is {collection, id}: the same id string in two auth collections never names the same
// caller in a rule (issue 13, hole 1), checked on a real SQLite data layer with colliding ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.js';
import type { Principal } from '../../core/index.js';
import { createDataLayer, type DataLayer } from '../data-layer.js';
import { createAccessControl } from './access-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-access-'));
let data: DataLayer;
const ID = 'a1b2c3d4e5f6g7h8j9k0';
const own = 'owner = @request.auth.id';

before(async () => {
  data = createDataLayer({
    dataDir: dir,
    data: loadConfig({ cwd: dir, env: {} }).config.data,
    collections: [
      { name: 'users', type: 'auth', fields: [], rules: { list: 'id = @request.auth.id', view: 'id = @request.auth.id' } },
      { name: 'members', type: 'auth', fields: [], rules: { list: "@request.auth.collectionName = 'members'" } },
      { name: 'notes', fields: [{ name: 'owner', type: 'relation', collection: 'users' }], rules: { list: own, view: own, create: `@request.auth.id != '' && ${own} && @request.body.owner = @request.auth.id` } },
      { name: 'comments', fields: [{ name: 'note', type: 'relation', collection: 'notes' }], rules: { list: 'note.owner.id = @request.auth.id' } },
    ],
  });
  await data.start();
  // Ids collide on purpose (written by the data layer directly; the API never lets a client choose them).
  await data.records.create('users', { id: ID, email: 'u@example.com' });
  await data.records.create('members', { id: ID, email: 'm@example.com' });
  const note = await data.records.create('notes', { owner: ID });
  await data.records.create('comments', { note: note.record.id });
});
after(async () => {
  await data.stop();
  rmSync(dir, { recursive: true, force: true });
});

const user: Principal = { id: ID, collection: 'users', superuser: false, scopes: [] };
const member: Principal = { id: ID, collection: 'members', superuser: false, scopes: [] };

test('@request.auth.id matches a relation or an id only for a caller of the collection it points to', async () => {
  const access = createAccessControl({ data: () => ({ collections: data.records.collections, dialect: data.dialect, names: data.names }) });
  const count = async (p: Principal, collection: string) => (await data.records.list(collection, {}, { where: access.where(p, collection, 'list') })).items.length;
  assert.equal(await count(user, 'notes'), 1);
  assert.equal(await count(member, 'notes'), 0, 'relation to users, caller in members');
  assert.equal(await count(user, 'users'), 1);
  assert.equal(await count(member, 'users'), 0, 'id of users, caller in members');
  assert.equal(await count(user, 'comments'), 1);
  assert.equal(await count(member, 'comments'), 0, 'through relations: note.owner.id');
  // @request.auth.collectionName keeps working.
  assert.equal(await count(member, 'members'), 1);
  assert.equal(await count(user, 'members'), 0);
  // A body value compared with the caller's id is bound the same way.
  await assert.rejects(data.records.create('notes', { owner: ID }, { where: access.where(member, 'notes', 'create', { body: { owner: ID } }) }));
  await data.records.create('notes', { owner: ID }, { where: access.where(user, 'notes', 'create', { body: { owner: ID } }) });
});
