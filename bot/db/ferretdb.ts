import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { DatabaseError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** The versions tried in order: the issue asks for v1.24.2, and v1.24.1 if it will not build. */
const VERSIONS = ['v1.24.2', 'v1.24.1'];
const MODULE = 'github.com/FerretDB/FerretDB';

/** Bumped whenever the patches below change, so a cached binary built without them is rebuilt. */
const PATCH_LEVEL = 'tandem2';

export function ferretBinaryPath(cacheDir: string, version = VERSIONS[0]): string {
  return join(cacheDir, 'bin', `ferretdb-${version}-${PATCH_LEVEL}`);
}

/** A change to FerretDB's source: `from` must be found in `file`, or the build stops. */
interface Patch {
  why: string;
  file: string;
  from: string;
  to: string;
}

const PATCHES: Patch[] = [
  {
    // FerretDB v1's SQLite backend looks documents up by `_id` with `_ferretdb_sjson->'$._id' = ?`,
    // but creates its unique `_id` index on `_ferretdb_sjson->"_id"`. SQLite matches index
    // expressions by their text, so every find, update and delete by `_id` scanned the whole table
    // (seen with EXPLAIN QUERY PLAN, and as throughput falling with the size of the data). Writing
    // the lookup like the index makes it an index search; both forms select the same JSON member.
    why: 'the _id lookup uses the _id index',
    file: join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: 'IDColumn = DefaultColumn + `->"_id"`',
  },
  {
    // Every iterator, cursor and connection is registered with a leak detector: a pprof profile
    // entry (a stack trace taken with runtime.Callers) and a finalizer that panics, bringing the
    // whole server down, if the object is collected unclosed. It is a development aid; profiled
    // under load it took 7 % of FerretDB's CPU, and the finalizers add to garbage collection.
    why: 'no leak-detection bookkeeping per iterator and cursor',
    file: join('internal', 'util', 'resource', 'resource.go'),
    from: 'func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)\n',
    to: 'func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)\n\tif true {\n\t\treturn\n\t}\n',
  },
  {
    why: 'Untrack matches Track',
    file: join('internal', 'util', 'resource', 'resource.go'),
    from: 'func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)\n',
    to: 'func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)\n\tif true {\n\t\treturn\n\t}\n',
  },
];

function patchSource(dir: string): void {
  for (const patch of PATCHES) {
    const file = join(dir, patch.file);
    const source = readFileSync(file, 'utf8');
    if (!source.includes(patch.from))
      throw new Error(`${patch.file} changed: the patch "${patch.why}" no longer applies`);
    writeFileSync(file, source.replace(patch.from, patch.to));
  }
}

function findBuilt(cacheDir: string): string | undefined {
  return VERSIONS.map((v) => ferretBinaryPath(cacheDir, v)).find((p) => existsSync(p));
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Builds FerretDB from the Go module proxy. `go install …/cmd/ferretdb@v1.24.2` compiles but the
 * binary panics at start: the module zip lacks the generated build/version/version.txt. So we copy
 * the downloaded module, write that file as FerretDB's docs say, apply the patches above, and
 * `go build` the same command.
 */
function build(cacheDir: string, version: string, log: Logger): string {
  const info = JSON.parse(run('go', ['mod', 'download', '-json', `${MODULE}@${version}`])) as { Dir: string };
  const work = join(cacheDir, 'build', `${version}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  cpSync(info.Dir, work, { recursive: true, mode: 0 });
  spawnSync('chmod', ['-R', 'u+w', work]);
  writeFileSync(join(work, 'build', 'version', 'version.txt'), `${version}\n`);
  patchSource(work);
  const target = ferretBinaryPath(cacheDir, version);
  const tmp = `${target}.tmp-${process.pid}`;
  log.info({ version }, 'building FerretDB (once; a few minutes on a fresh machine)');
  try {
    run('go', ['build', '-trimpath', '-o', tmp, './cmd/ferretdb'], work);
    renameSync(tmp, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
  return target;
}

/** Returns the FerretDB binary, building it once into the cache folder when it is missing. */
export async function ensureFerretBinary(cacheDir: string, log: Logger): Promise<string> {
  const found = findBuilt(cacheDir);
  if (found) return found;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new DatabaseError(
      'Go is needed once to build the embedded database: install Go 1.22+ (apt-get install golang, or https://go.dev/dl/), or set MONGODB_URI to a MongoDB server.',
      'ferretdb.build',
    );
  }
  mkdirSync(join(cacheDir, 'bin'), { recursive: true });
  const lock = join(cacheDir, 'build.lock');
  // Two processes (npm start and npm test) may both find the binary missing: one builds, one waits.
  // A lock left by a killed builder is taken over.
  while (!tryLock(lock)) {
    await sleep(1000);
    const built = findBuilt(cacheDir);
    if (built) return built;
  }
  try {
    const errors: string[] = [];
    for (const version of VERSIONS) {
      try {
        return findBuilt(cacheDir) ?? build(cacheDir, version, log);
      } catch (err) {
        errors.push(`${version}: ${errorMessage(err)}`);
        log.warn({ version, err }, 'FerretDB build failed');
      }
    }
    throw new DatabaseError(`Could not build FerretDB:\n${errors.join('\n')}`, 'ferretdb.build');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
    if (owner && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface EmbeddedDb {
  uri: string;
  port: number;
  stop(): Promise<void>;
}

async function waitForPing(uri: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}`);
    const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 500 });
    try {
      await conn.asPromise();
      await conn.db?.admin().ping();
      return;
    } catch (err) {
      last = err;
    } finally {
      await conn.close().catch(() => {});
    }
    await sleep(100);
  }
  throw new Error(`FerretDB did not answer ping in ${timeoutMs} ms: ${errorMessage(last)}`);
}

/**
 * FerretDB's environment: Go's garbage collector runs when the heap has grown by GOGC % since the
 * last collection (100 by default). FerretDB's live heap is small and every command allocates
 * (decoded documents, SQL text), so at 100 it collected all the time: 10 % of its CPU under the
 * turns benchmark. At 400 it used 12 % less CPU per turn there, for 59 MB of RSS instead of 47.
 * A GOGC set by the operator is kept.
 */
export function ferretEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GOGC: env.GOGC || '400' };
}

/**
 * Starts FerretDB (SQLite backend) on loopback with its files under `dataDir`, and waits until it
 * answers ping. It runs under a tiny shell that kills it when our stdin pipe closes, so it never
 * outlives the app, even when the app is killed with SIGKILL.
 */
export async function startFerret(opts: {
  binary: string;
  dataDir: string;
  log: Logger;
  port?: number;
}): Promise<EmbeddedDb> {
  const dir = join(opts.dataDir, 'ferretdb');
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const args = [
    '--handler=sqlite',
    // WAL with synchronous=NORMAL: a commit survives the app being killed (even -9); only an OS
    // crash or power loss may lose the last commits. FULL costs an fsync per write (~2 ms here).
    `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dir}`,
    process.env.FERRET_DEBUG_ADDR ? `--debug-addr=${process.env.FERRET_DEBUG_ADDR}` : '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    '--log-format=json',
  ];
  const script = '"$0" "$@" & child=$!; read -r _ ; kill "$child" 2>/dev/null; wait "$child"';
  const child = spawn('/bin/sh', ['-c', script, opts.binary, ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: ferretEnv(process.env),
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uri = `mongodb://127.0.0.1:${port}/tandem`;
  const stop = async () => {
    if (readUri(dir) === uri) rmSync(join(dir, URI_FILE), { force: true });
    if (child.exitCode === null) {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitForPing(uri, child, 30_000);
  } catch (err) {
    await stop();
    throw new DatabaseError(`${errorMessage(err)}\n${stderr.trim()}`, 'ferretdb.start', err);
  }
  // Other processes of this data directory (the staff command) use this server rather than start
  // their own: two FerretDBs on one directory each cache which collections exist.
  writeFileSync(join(dir, URI_FILE), uri);
  opts.log.info({ port, dir }, 'embedded FerretDB ready');
  return { uri, port, stop };
}

/** Where a running embedded FerretDB writes its URI, in its directory. */
const URI_FILE = 'uri';

function readUri(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, URI_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The URI of the embedded FerretDB another process runs on `dataDir`, if it answers. */
export async function runningFerret(dataDir: string): Promise<string | undefined> {
  const uri = readUri(join(dataDir, 'ferretdb'));
  if (!uri) return undefined;
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1000 });
  try {
    await conn.asPromise();
    await conn.db?.admin().ping();
    return uri;
  } catch {
    return undefined;
  } finally {
    await conn.close().catch(() => {});
  }
}
