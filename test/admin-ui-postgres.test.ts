// The admin UI in Chromium against Strata on PostgreSQL (scenarios in admin-ui-scenarios.ts); its tables,
// under a fresh prefix, are dropped afterwards.
import pg from 'pg';
import { adminUiSuite } from './admin-ui-scenarios.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const skip = await unreachable(5432);
const tablePrefix = uniquePrefix();
adminUiSuite('postgres', () => ({ url: PG_URL, tablePrefix }), skip ? `PostgreSQL is not reachable: ${skip}` : false, async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)", [tablePrefix]);
    for (const { tablename } of rows) await client.query(`DROP TABLE IF EXISTS "${tablename.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
});
