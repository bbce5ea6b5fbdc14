import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';

function get(url: string, agent: http.Agent): Promise<http.IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(Object.assign(res, { body })));
      })
      .on('error', reject);
  });
}

describe('a graceful stop', () => {
  it('finishes the requests in flight and tells their clients not to keep the connection', async () => {
    const app = await startTestApp();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = false;
    app.server.get('/test/slow', async (_req, res) => {
      arrived = true;
      await gate;
      res.send(200, { ok: true });
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      // Before: answers keep the connection.
      expect((await get(`${app.url}/healthz`, agent)).headers.connection).toBe('keep-alive');
      const slow = get(`${app.url}/test/slow`, agent);
      await pollUntil(
        () => arrived,
        5000,
        () => new Error('the slow request never arrived'),
      );
      const stopped = app.stop();
      release();
      const answer = await slow;
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ ok: true });
      // The client will not send its next request to this stopping process on that connection.
      expect(answer.headers.connection).toBe('close');
      await stopped;
    } finally {
      agent.destroy();
    }
  });

  it('keeps to its deadline when a delivery hangs, and starts no other one meanwhile', async () => {
    const app = await startTestApp({ SHUTDOWN_TIMEOUT_MS: '1000' });
    const { outbox } = app.bot.services;
    const asked: string[] = [];
    outbox.setSender({
      // A channel that never answers (a flood wait, a host that hangs).
      toPerson: (personId) => {
        asked.push(personId);
        return new Promise(() => {});
      },
      toConversation: () => new Promise(() => {}),
    });
    const hello = [{ type: 'message' as const, text: 'Bonjour' }];
    await outbox.enqueue('hangs|1', { personId: 'p-hangs' }, hello);
    await pollUntil(
      () => asked.length === 1,
      5000,
      () => new Error('the delivery was never attempted'),
    );
    const started = Date.now();
    const stopped = app.stop();
    await outbox.enqueue('while-stopping|1', { personId: 'p-later' }, hello);
    await stopped;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(asked).toEqual(['p-hangs']);
    // Left for the next process, as written.
    expect((await outbox.get('while-stopping|1'))?.status).toBe('pending');
  });
});
