// The restore drill on PostgreSQL: pg_dump in one snapshot, restored with pg_restore into a fresh database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { backupContract } from './backup-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

async function admin(sqlText: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}

const prefix = uniquePrefix();
backupContract(
  'postgres',
  () => ({
    data: `data:\n  url: ${PG_URL}\n  tablePrefix: ${prefix}`,
    async fresh() {
      const name = `strata_restore_${randomBytes(4).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      const u = new URL(PG_URL);
      u.pathname = `/${name}`;
      return { data: `data:\n  url: ${u.toString()}\n  tablePrefix: ${prefix}`, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
    },
  }),
  await unreachable(5432),
);
