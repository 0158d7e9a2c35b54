// The restore drill on MariaDB/MySQL: a logical export in one consistent snapshot, loaded into a fresh database.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { backupContract } from './backup-contract.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

async function admin(sqlText: string): Promise<void> {
  const c = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}

const prefix = uniquePrefix();
backupContract(
  'mysql',
  () => ({
    data: `data:\n  url: ${MYSQL_URL}\n  tablePrefix: ${prefix}`,
    async fresh() {
      const name = `strata_restore_${randomBytes(4).toString('hex')}`;
      await admin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      const u = new URL(MYSQL_URL);
      u.pathname = `/${name}`;
      return { data: `data:\n  url: ${u.toString()}\n  tablePrefix: ${prefix}`, drop: () => admin(`DROP DATABASE IF EXISTS ${name}`) };
    },
  }),
  await unreachable(3306),
);
