import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_ARGS } from '../../bot/node-args.js';

export interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `tsx bot/main.ts` as `npm start` does, with the given environment. */
export function startMain(env: Record<string, string | undefined>): Started {
  const child = spawn(process.execPath, [...NODE_ARGS, 'bot/main.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b) => {
    out += b;
  });
  child.stderr?.on('data', (b) => {
    out += b;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls `url` until `accept(status)` holds, or throws after `timeoutMs`. */
export async function waitFor(
  url: string,
  accept: (status: number) => boolean,
  timeoutMs = 20_000,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (accept(res.status)) return res;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(200);
  }
  throw new Error(`${url} not as expected after ${timeoutMs} ms: ${last}`);
}
