// Test helpers for the data/api suites: engine URLs, reachability (skips outside CI), unique prefixes.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { CollectionConfig } from '../src/config/schema-data.js';

export const PG_URL = process.env.STRATA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.STRATA_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** false when reachable or under CI (where the test must run and fail); else a skip reason. */
export async function unreachable(port: number, host = '127.0.0.1'): Promise<false | string> {
  if (process.env.CI === 'true') return false;
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
  return ok ? false : `nothing listens on ${host}:${port}`;
}

export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}_`;
}

/** The collections the contract suites use. */
export const TEST_COLLECTIONS: CollectionConfig[] = [
  {
    name: 'users',
    fields: [
      { name: 'name', type: 'text', required: true, unique: true, length: { max: 100 } },
      { name: 'email', type: 'email' },
      { name: 'age', type: 'integer', min: 0, max: 150 },
      { name: 'active', type: 'boolean', default: true },
    ],
  },
  { name: 'tags', fields: [{ name: 'label', type: 'text', required: true, unique: true }] },
  {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text', required: true, length: { max: 200 } },
      { name: 'slug', type: 'text', unique: true, pattern: '^[a-z0-9-]+$' },
      { name: 'body', type: 'text' },
      { name: 'views', type: 'integer', default: 0, min: 0 },
      { name: 'score', type: 'number' },
      { name: 'pinned', type: 'boolean', default: false },
      { name: 'status', type: 'select', values: ['draft', 'published'], default: 'draft' },
      { name: 'published', type: 'date' },
      { name: 'site', type: 'url' },
      { name: 'meta', type: 'json' },
      { name: 'author', type: 'relation', collection: 'users', onDelete: 'cascade' },
      { name: 'reviewer', type: 'relation', collection: 'users', onDelete: 'setNull' },
      { name: 'tags', type: 'relation', collection: 'tags', multiple: true, onDelete: 'restrict' },
    ],
    indexes: [{ fields: ['status', 'created'] }],
    fullText: ['title', 'body'],
  },
  {
    name: 'notes',
    type: 'document',
    fields: [{ name: 'kind', type: 'select', values: ['a', 'b'] }],
    indexes: [{ fields: ['nested.n'] }, { fields: ['kind', 'created'] }],
  },
];
