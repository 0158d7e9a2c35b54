// The collection bench/functions.ts seeds and its servers declare.
export const COLLECTIONS = [{ name: 'posts', fields: [{ name: 'title', type: 'text', required: true }, { name: 'views', type: 'integer', required: true }] }];
