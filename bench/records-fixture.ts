// The collection and seed data bench/records.ts measures: posts with an indexed filter and sort.
import type { CollectionConfig } from '../src/config/schema-data.js';

export const BENCH_COLLECTIONS: CollectionConfig[] = [
  {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text', required: true },
      { name: 'views', type: 'integer', indexed: true },
      { name: 'status', type: 'select', values: ['draft', 'published'] },
      { name: 'body', type: 'text' },
    ],
    indexes: [{ fields: ['status', 'created'] }],
    // public, like the peer's routes: no rule to evaluate
    rules: { list: '', view: '', create: '', update: '', delete: '' },
  },
];
