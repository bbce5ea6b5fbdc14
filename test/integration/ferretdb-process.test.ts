import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ferretEnv } from '../../bot/db/ferretdb.js';
import { throwawayFerret } from '../helpers/db.js';

/** The environment of the process whose command line has `needle`, read from /proc. */
function environOf(needle: string): Record<string, string> | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(needle) || argv[0] === '/bin/sh') continue;
      const pairs = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').filter(Boolean);
      return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    } catch {}
  }
  return undefined;
}

describe('the embedded FerretDB process', () => {
  it('collects garbage less often than Go does by default, unless the operator chose', () => {
    expect(ferretEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GOGC: '400' });
    expect(ferretEnv({ GOGC: '150' }).GOGC).toBe('150');
    expect(ferretEnv({ GOGC: '' }).GOGC).toBe('400');
  });

  it.skipIf(process.env.MONGODB_URI || process.platform !== 'linux')('runs with that setting', async () => {
    const db = await throwawayFerret('gogc');
    try {
      const env = environOf(`--listen-addr=127.0.0.1:${db.server.port}`);
      expect(env).toBeDefined();
      expect(env?.GOGC).toBe(process.env.GOGC || '400');
    } finally {
      await db.stop();
    }
  });
});
