import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import { Database } from '../../bot/db/database.js';
import { runningFerret } from '../../bot/db/ferretdb.js';
import { silentLog, throwawayFerret } from '../helpers/db.js';

/**
 * A short-lived process on the app's data directory (the staff command) uses the embedded
 * FerretDB the app runs, not a second one on the same files: each FerretDB caches which
 * collections exist, so a collection one creates is unknown to the other.
 */
describe.skipIf(process.env.MONGODB_URI)('the embedded FerretDB of a data directory', () => {
  it('is found by another process while it runs, and forgotten when it stops', async () => {
    const { server: app, dataDir, cacheDir, stop } = await throwawayFerret('attach');
    try {
      expect(await runningFerret(dataDir)).toBe(app.uri);
      const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, TANDEM_CACHE_DIR: cacheDir });
      const staff = await Database.open(config, silentLog, { attach: true });
      await staff.whenConnected();
      // A collection the staff's process creates is there for the app's server: it is the same one.
      await staff.connection.collection('cohort_plans').insertOne({ _id: 'm1' as never, mentorId: 'x' });
      await staff.close();
      const names = await listCollections(app.uri);
      expect(names).toContain('cohort_plans');
      await app.stop();
      expect(existsSync(join(dataDir, 'ferretdb', 'uri'))).toBe(false);
      expect(await runningFerret(dataDir)).toBeUndefined();
    } finally {
      await stop();
    }
  });
});

async function listCollections(uri: string): Promise<string[]> {
  const db = await Database.connect(uri, silentLog);
  const names = (await db.connection.db?.listCollections().toArray())?.map((c) => c.name) ?? [];
  await db.close();
  return names;
}
