import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bot/db/ferretdb.js';
import { freshDbUri } from '../helpers/db.js';
import { type Started, startMain, waitFor } from '../helpers/process.js';

const running: Started[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
});

function run(env: Record<string, string | undefined>): Started {
  const s = startMain(env);
  running.push(s);
  return s;
}

function ferretProcessesUsing(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('ferretdb') && l.includes(dir));
}

describe('start-up and shutdown (the real process)', () => {
  it('exits 1 naming PORT when PORT is not a number', async () => {
    const s = run({ PORT: 'abc' });
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/PORT: .*"abc"/);
  });

  it('says in one line how to get Go or set MONGODB_URI when the embedded database cannot be built', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'tandem-nogo-'));
    try {
      // An empty cache (nothing built) and a PATH with node but without Go.
      const s = run({
        TANDEM_CACHE_DIR: cacheDir,
        PATH: dirname(process.execPath),
        PORT: String(await freePort()),
      });
      expect(await s.exited).toBe(1);
      expect(s.output()).toMatch(/Tandem cannot start: Go is needed once .*install Go.*or set MONGODB_URI/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('is healthy and ready on a reachable database, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const s = run({ PORT: String(port), MONGODB_URI: freshDbUri('startup') });
    await waitFor(`http://127.0.0.1:${port}/healthz`, (st) => st === 200);
    const ready = await waitFor(`http://127.0.0.1:${port}/readyz`, (st) => st === 200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('reports not ready with the reason, keeps retrying and does not crash', async () => {
    const port = await freePort();
    const s = run({ PORT: String(port), MONGODB_URI: 'mongodb://127.0.0.1:1/x' });
    let body = { status: '', reason: '' };
    const deadline = Date.now() + 15_000;
    while (!/ECONNREFUSED/.test(body.reason) && Date.now() < deadline) {
      const res = await waitFor(`http://127.0.0.1:${port}/readyz`, (st) => st === 503);
      body = (await res.json()) as typeof body;
      expect(body.status).toBe('not_ready');
      expect(body.reason).toMatch(/^database: /);
    }
    expect(body.reason).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
    const attempts = () => s.output().match(/database not reachable/g)?.length ?? 0;
    const until = Date.now() + 15_000;
    while (attempts() < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(attempts()).toBeGreaterThanOrEqual(2);
    expect(s.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('starts the embedded database and leaves no FerretDB behind after SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-start-'));
    try {
      const port = await freePort();
      const s = run({
        PORT: String(port),
        DATA_DIR: dataDir,
        TANDEM_CACHE_DIR: process.env.TANDEM_CACHE_DIR,
      });
      await waitFor(`http://127.0.0.1:${port}/readyz`, (st) => st === 200, 60_000);
      expect(ferretProcessesUsing(dataDir).length).toBeGreaterThan(0);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(ferretProcessesUsing(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves no FerretDB behind even when the app is killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-kill-'));
    try {
      const port = await freePort();
      const s = run({
        PORT: String(port),
        DATA_DIR: dataDir,
        TANDEM_CACHE_DIR: process.env.TANDEM_CACHE_DIR,
      });
      await waitFor(`http://127.0.0.1:${port}/readyz`, (st) => st === 200, 60_000);
      s.child.kill('SIGKILL');
      await s.exited;
      const deadline = Date.now() + 5000;
      while (ferretProcessesUsing(dataDir).length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ferretProcessesUsing(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
