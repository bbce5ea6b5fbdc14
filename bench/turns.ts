import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { freePort } from '../bot/db/ferretdb.js';
import { NODE_ARGS } from '../bot/node-args.js';
import { bareTurnsPerSecond } from './bare.js';

const SECRET = 'bench-webchat-secret-0123456789';

/** The mentee onboarding as a user types it: 17 turns from hello to the accepted charter. */
const SCRIPT = [
  'Bonjour',
  'oui',
  '26-35',
  'Léa',
  "demandeuse d'emploi",
  'emploi',
  'numérique et commerce',
  "c'est tout",
  'Aubagne',
  'le soir',
  "c'est tout",
  'visio',
  'français',
  "c'est tout",
  'Relire mon CV et préparer mes entretiens.',
  "c'est correct",
  "j'accepte",
];

interface Stats {
  turns: number;
  errors: number;
  latencies: number[];
  /** The latencies of each step of SCRIPT, for the slowest steps. */
  bySteps: number[][];
  cpu: Record<string, number>;
}

/** The app under load (its pid, for the CPU figures). */
let appPid = 0;

/** One simulated web chat user: a Direct Line conversation with its WebSocket. */
class Session {
  private replied = new Set<string>();
  private waiters = new Map<string, () => void>();
  private constructor(
    private readonly base: string,
    readonly conversationId: string,
    private readonly token: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (!text) return;
      const set = JSON.parse(text) as { activities: Array<{ from: { id: string }; replyToId?: string }> };
      for (const a of set.activities) {
        if (a.from.id !== 'tandem' || !a.replyToId) continue;
        this.replied.add(a.replyToId);
        this.waiters.get(a.replyToId)?.();
      }
    });
  }

  static async open(base: string): Promise<Session> {
    const gen = await post(`${base}/v3/directline/tokens/generate`, SECRET);
    const conv = await post(`${base}/v3/directline/conversations`, gen.token);
    const ws = new WebSocket(conv.streamUrl);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('WebSocket not open in 15 s'));
      }, 15_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      ws.once('error', reject);
    });
    return new Session(base, gen.conversationId, gen.token, ws);
  }

  /** Posts a message and resolves with the time until the bot's first reply to it, in ms. */
  async turn(text: string): Promise<number> {
    const started = performance.now();
    const { id } = await post(
      `${this.base}/v3/directline/conversations/${this.conversationId}/activities`,
      this.token,
      {
        type: 'message',
        text,
        // As the widget and Web Chat send it: the message's identity if the post is retried.
        channelData: { clientActivityID: randomUUID() },
      },
    );
    if (!this.replied.has(id)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply in 15 s')), 15_000);
        this.waiters.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.waiters.delete(id);
    return performance.now() - started;
  }

  close(): void {
    this.ws.close();
  }
}

/** Keep-alive connections, as a browser keeps them; node:http costs the load generator less CPU than fetch. */
const agent = new http.Agent({ keepAlive: true });

/** The fields of Direct Line's answers that the simulated users read. */
interface Answer {
  token: string;
  conversationId: string;
  streamUrl: string;
  id: string;
}

function post(url: string, token: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        timeout: 15_000,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          if (Math.floor((res.statusCode ?? 0) / 100) !== 2)
            reject(new Error(`${url}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * How users arrive. `arrivalMs`: they arrive one after another over this long, each at the start of
 * the onboarding, and the measure begins once all have arrived (then they are spread over the
 * script's steps, as the users of a live hub are); 0: they all arrive within the first second and
 * the measure begins at once (a flash crowd: everyone meets the same step together).
 */
interface Shape {
  users: number;
  thinkMs: number;
  durationMs: number;
  arrivalMs: number;
}

/** Users go through the onboarding again and again; the turns posted during the measure count. */
async function load(base: string, { users, thinkMs, durationMs, arrivalMs }: Shape): Promise<Stats> {
  const stats: Stats = { turns: 0, errors: 0, latencies: [], bySteps: SCRIPT.map(() => []), cpu: {} };
  const from = performance.now() + arrivalMs;
  const until = from + durationMs;
  const measured = sleep(arrivalMs).then(async () => {
    const stop = cpuMeter(appPid);
    await sleep(durationMs);
    return stop();
  });
  const user = async (i: number) => {
    await sleep((i / users) * (arrivalMs || Math.min(thinkMs || 1000, 1000)));
    while (performance.now() < until) {
      let session: Session | undefined;
      try {
        session = await Session.open(base);
        for (const [step, text] of SCRIPT.entries()) {
          const posted = performance.now();
          if (posted >= until) break;
          const ms = await session.turn(text);
          if (posted >= from) {
            stats.latencies.push(ms);
            stats.bySteps[step]?.push(ms);
            stats.turns++;
          }
          if (thinkMs) await sleep(thinkMs);
        }
      } catch (err) {
        if (process.env.BENCH_DEBUG) console.error(err);
        stats.errors++;
        await sleep(200);
      } finally {
        session?.close();
      }
    }
  };
  await Promise.all(Array.from({ length: users }, (_, i) => user(i)));
  stats.cpu = (await measured)(stats.turns);
  return stats;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summarize(stats: Stats, durationMs: number) {
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    turns_per_s: r(stats.turns / (durationMs / 1000)),
    p50_ms: r(percentile(sorted, 50)),
    p95_ms: r(percentile(sorted, 95)),
    p99_ms: r(percentile(sorted, 99)),
    errors: stats.errors,
    ...stats.cpu,
    slowest_steps: slowestSteps(stats.bySteps, 3),
  };
}

/** The `n` steps of the script with the highest p95: "<step>. <message>": [p50, p95] in ms. */
function slowestSteps(bySteps: number[][], n: number): Record<string, [number, number]> {
  const rows = bySteps.map((ms, step) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return {
      text: `${step + 1}. ${SCRIPT[step] ?? ''}`, // "c'est tout" ends three steps
      p50: Math.round(percentile(sorted, 50)),
      p95: Math.round(percentile(sorted, 95)),
    };
  });
  rows.sort((a, b) => (b.p95 || 0) - (a.p95 || 0));
  return Object.fromEntries(rows.slice(0, n).map((r) => [r.text, [r.p50, r.p95]]));
}

/** CPU time (user + system, ms) of a process, from /proc; 0 once it has gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100); // clock ticks at 100 Hz
  } catch {
    return 0;
  }
}

/** The app's process and every process under it (the embedded FerretDB runs under a shell). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      parent.set(pid, Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]));
    } catch {}
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

/** Where the CPU goes during a load: the app, its database, and this process (the simulated users). */
function cpuMeter(appPid: number) {
  const [app = appPid, ...db] = descendants(appPid);
  const read = () => {
    const self = process.cpuUsage();
    return {
      app: cpuMs(app),
      db: db.reduce((sum, pid) => sum + cpuMs(pid), 0),
      users: (self.user + self.system) / 1000,
    };
  };
  const start = read();
  /** Stops the meter; its result gives the CPU per turn for the turns of the measure. */
  return () => {
    const end = read();
    return (turns: number) => {
      const per = (k: keyof typeof end) => Math.round(((end[k] - start[k]) / Math.max(1, turns)) * 100) / 100;
      return {
        app_cpu_ms_per_turn: per('app'),
        db_cpu_ms_per_turn: per('db'),
        users_cpu_ms_per_turn: per('users'),
      };
    };
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The app as `npm start` runs it, with its own embedded database in a throwaway folder. */
async function startApp(): Promise<{ base: string; child: ChildProcess; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const prof = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof']
    : process.env.BENCH_TRACE_GC
      ? ['--trace-gc']
      : [];
  const child = spawn(process.execPath, [...prof, ...NODE_ARGS, 'bot/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WEBCHAT_SECRET: SECRET,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { base, child, dataDir };
    } catch {}
    await sleep(100);
  }
  throw new Error('the app did not become ready');
}

/** Opens conversations (one turn each) until `target` exist or `deadline` passes; returns the count. */
async function conversationsTo(
  base: string,
  target: number,
  already: number,
  deadline: number,
): Promise<number> {
  let made = already;
  const worker = async () => {
    while (made < target && performance.now() < deadline) {
      made++;
      try {
        const s = await Session.open(base);
        await s.turn('Bonjour');
        s.close();
      } catch {
        made--;
        await sleep(500);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return made;
}

export async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const durationMs = seconds * 1000;
  const { base, child, dataDir } = await startApp();
  const pid = child.pid ?? 0;
  appPid = pid;
  // Interrupted (Ctrl-C, timeout): stop the app too, or it would go on loading the machine.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      child.kill('SIGTERM');
      process.exit(130);
    });
  }
  try {
    await load(base, { users: 20, thinkMs: 0, durationMs: 3000, arrivalMs: 0 }); // warm-up
    // The open loop as benchmarks.md describes it: 1 s of thinking after each reply. Users arrive
    // over one pass of the script, so the measure sees them at every step, as a live hub would.
    const open = (users: number) =>
      load(base, { users, thinkMs: 1000, durationMs, arrivalMs: SCRIPT.length * 1000 });
    // The same users all arriving within one second: each step's turns come in a burst.
    const flash = (users: number) => load(base, { users, thinkMs: 1000, durationMs, arrivalMs: 0 });
    if (process.env.BENCH_USERS) {
      // One open-loop level only, for a quick comparison: BENCH_USERS=200 npm run bench -- turns
      // (BENCH_FLASH=1: the flash crowd instead).
      const users = Number(process.env.BENCH_USERS);
      const stats = await (process.env.BENCH_FLASH ? flash(users) : open(users));
      console.log(JSON.stringify({ users, ...summarize(stats, durationMs) }));
      return;
    }
    const opens: Record<string, ReturnType<typeof summarize>> = {};
    for (const users of [50, 200, 500]) {
      opens[users] = summarize(await open(users), durationMs);
      console.log(`open loop, ${users} users, 1 s think time:`, JSON.stringify(opens[users]));
    }
    const crowd = summarize(await flash(200), durationMs);
    console.log('flash crowd, 200 users arriving within 1 s:', JSON.stringify(crowd));
    const closed = summarize(
      await load(base, { users: 200, thinkMs: 0, durationMs, arrivalMs: 0 }),
      durationMs,
    );
    console.log('closed loop, 200 users:', JSON.stringify(closed));
    const bare = Math.round(await bareTurnsPerSecond(200, SCRIPT.length, Math.min(durationMs, 10_000)));
    console.log(`bare botbuilder-dialogs, MemoryStorage, in process, 200 conversations: ${bare} turns/s`);
    const rssAfterRun = rssMb(pid);

    // Conversations opened by the loads above are not counted: these are on top of them.
    const rssDeadline = performance.now() + Number(process.env.BENCH_RSS_SECONDS ?? 300) * 1000;
    const at1k = await conversationsTo(base, 1000, 0, rssDeadline);
    const rss1k = rssMb(pid);
    const reached = await conversationsTo(base, 10_000, at1k, rssDeadline);
    const rss10k = rssMb(pid);
    console.log(
      `RSS: ${rssAfterRun} MB after the loads; ${rss1k} MB at ${at1k} more conversations, ${rss10k} MB at ${reached}`,
    );

    const at200 = opens[200] ?? closed;
    console.log(
      JSON.stringify({
        users: 200,
        turns_per_s: at200.turns_per_s,
        p50_ms: at200.p50_ms,
        p95_ms: at200.p95_ms,
        p99_ms: at200.p99_ms,
        closed_loop_turns_per_s: closed.turns_per_s,
        bare_turns_per_s: bare,
        ratio_vs_bare: Math.round((closed.turns_per_s / bare) * 1000) / 1000,
        open_50: opens[50],
        open_500: opens[500],
        flash_crowd_200: crowd,
        rss_mb_after_run: rssAfterRun,
        rss_mb_1k_conversations: rss1k,
        rss_mb_10k_conversations: rss10k,
        conversations_reached: reached,
        seconds_per_load: seconds,
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
