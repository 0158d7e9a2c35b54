// Full-text search for the `@@` filter operator. Portable first cut: every word of the query
// must appear (case-insensitive) in one of the collection's fullText fields.
// TODO(engine-native): SQLite FTS5, PostgreSQL tsvector + GIN, MySQL FULLTEXT with ranking.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Collection } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';

export function fullTextFor(d: SqlDialect, _names: TableNames) {
  return (c: Collection, alias: string, query: string): RawBuilder<SqlBool> => {
    const words = query.split(/\s+/).filter(Boolean).slice(0, 16);
    if (words.length === 0) return sql<SqlBool>`1 = 1`;
    const perWord = words.map((w) => {
      const pattern = '%' + w.replace(/[\\%_]/g, (m) => '\\' + m) + '%';
      return sql`(${sql.join(c.fullText.map((f) => d.ilike(sql.ref(`${alias}.${f}`), pattern, false)), sql` OR `)})`;
    });
    return sql<SqlBool>`(${sql.join(perWord, sql` AND `)})`;
  };
}
