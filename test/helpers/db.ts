import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { Database } from '../../bot/db/database.js';
import { createLogger } from '../../bot/log.js';

export const silentLog = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A URI to a fresh database of the test server, unique to the caller. */
export function freshDbUri(label = 'test'): string {
  const base = new URL(inject('mongoUri'));
  base.pathname = `/${label.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  return base.toString();
}

/** Connects to a fresh database, dropped after the file's tests. */
export async function useTestDb(label?: string): Promise<Database> {
  const db = await Database.connect(freshDbUri(label), silentLog);
  afterAll(async () => {
    await db.connection.dropDatabase().catch(() => {});
    await db.close();
  });
  return db;
}
