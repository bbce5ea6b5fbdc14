import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { inboundMarkModel } from '../../models/inbound-mark.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type FakeSlackSocket, startFakeSlackSocket } from '../helpers/fake-slack-socket.js';
import { slackFixture } from '../helpers/slack-fixtures.js';
import { SlackUser, slackEnv } from '../helpers/slack-user.js';

/**
 * Socket Mode for real: Bolt's SocketModeReceiver and the @slack/socket-mode client talk to a fake
 * of Slack's Socket Mode side on loopback (apps.connections.open, then a WebSocket), and the app
 * answers through the fake Web API, as in production with SLACK_APP_TOKEN set.
 */

const APP_TOKEN = 'xapp-1-A07T4NDEM01-test';

let fake: FakeSlack;
let socket: FakeSlackSocket;
let app: App;
let nextUser = 1;

beforeAll(async () => {
  fake = await startFakeSlack({ perChannelRate: 50, perChannelBurst: 5 });
  socket = await startFakeSlackSocket(fake, { appToken: APP_TOKEN });
  app = await startTestApp({ ...slackEnv(fake), SLACK_API_URL: socket.apiUrl, SLACK_APP_TOKEN: APP_TOKEN });
  await socket.waitForConnection();
});
afterAll(async () => {
  // The app first (stop() is idempotent): a client whose server vanished would try to reconnect.
  await app?.stop();
  await socket?.close();
  await fake?.close();
});

const newMentor = () => new SlackUser(fake, app, `U0SOCKET${String(nextUser++).padStart(3, '0')}`);
const welcomes = (user: SlackUser) => fake.messages(user.channel).filter((m) => /Bienvenue/.test(m.text));

/** Socket Mode has no request to wait on: waits until the fake Web API has had no call for `ms`. */
async function quiet(ms = 400, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (seen !== fake.calls.length) {
    if (Date.now() > deadline) throw new Error('the app kept calling the Web API');
    seen = fake.calls.length;
    await sleep(ms);
  }
}

describe('Slack in Socket Mode', () => {
  it('opens the WebSocket with the app-level token through SLACK_API_URL', () => {
    expect(socket.opens.length).toBeGreaterThanOrEqual(1);
    expect(socket.opens[0]).toMatchObject({ token: APP_TOKEN, ok: true });
    expect(socket.openCount()).toBe(1);
  });

  it('acknowledges a direct message within 3 seconds and welcomes the mentor in it', async () => {
    const user = newMentor();
    const id = socket.sendEvent(user.messageEvent('Bonjour'));
    const ack = await socket.waitForAck(id, 3000);
    expect(ack.delayMs).toBeLessThan(3000);
    // Bolt acknowledges events with an empty payload.
    expect(JSON.parse(ack.raw)).toEqual({ envelope_id: id, payload: {} });
    await fake.waitFor(() => welcomes(user).length > 0);
    const posted = fake.callsOf('chat.postMessage').filter((c) => c.channel === user.channel);
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((c) => c.ok)).toBe(true);
  });

  it('processes an event redelivered over the socket once', async () => {
    const user = newMentor();
    const event = user.messageEvent('Bonjour');
    const first = socket.sendEvent(event);
    await socket.waitForAck(first);
    // Slack redelivers in a new envelope, same event_id, with retry_attempt and retry_reason set.
    const retry = socket.sendEvent(event, { retryAttempt: 1, retryReason: 'timeout' });
    expect(retry).not.toBe(first);
    const ack = await socket.waitForAck(retry, 3000);
    expect(ack.delayMs).toBeLessThan(3000);
    await fake.waitFor(() => welcomes(user).length > 0);
    await quiet();
    expect(welcomes(user)).toHaveLength(1);
    // One turn, one message: a second turn would have added another (not a welcome, but a re-ask).
    expect(fake.messages(user.channel)).toHaveLength(1);
    const marks = await inboundMarkModel(app.db.connection).countDocuments({
      _id: `slack|${event.event_id}`,
    });
    expect(marks).toBe(1);
  });

  it('takes the consent button from an interactive envelope and goes on', async () => {
    const user = newMentor();
    socket.sendEvent(user.messageEvent('Bonjour'));
    await fake.waitFor(() => Boolean(user.clickPayload("J'accepte")));
    await quiet();
    const before = fake.messages(user.channel).length;
    const id = socket.sendInteractive(user.clickPayload("J'accepte"));
    const ack = await socket.waitForAck(id, 3000);
    expect(ack.delayMs).toBeLessThan(3000);
    await fake.waitFor(() =>
      fake
        .messages(user.channel)
        .slice(before)
        .some((m) => /prénom/i.test(m.text)),
    );
    // The question then shows the choice instead of its buttons (updated in the background).
    await fake.waitFor(() =>
      fake.messages(user.channel).some((m) => JSON.stringify(m.blocks).includes("✓ J'accepte")),
    );
  });

  it('answers /tandem in the acknowledgement of a slash_commands envelope', async () => {
    const user = newMentor();
    const fields = slackFixture('slash_command', { userId: user.userId, text: 'aide' }) as unknown as Record<
      string,
      string
    >;
    const id = socket.sendSlashCommand(fields);
    const ack = await socket.waitForAck(id, 3000);
    expect(ack.delayMs).toBeLessThan(3000);
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect((ack.payload as { text?: string }).text).toContain('/tandem pause');
  });

  it('reconnects when Slack asks for a refresh, and keeps handling events', async () => {
    const opened = socket.connections.length;
    socket.disconnect('refresh_requested');
    // The client waits clientPingTimeout (5 s by default) before it asks for a new URL.
    const next = await socket.waitForConnection(opened + 1, 15_000);
    expect(socket.connections[opened - 1]?.closeCode).toBe(1000);
    expect(socket.opens.at(-1)).toMatchObject({ token: APP_TOKEN, ok: true });
    expect(next.closedAt).toBeUndefined();
    const user = newMentor();
    const id = socket.sendEvent(user.messageEvent('Bonjour'));
    await socket.waitForAck(id, 3000);
    await fake.waitFor(() => welcomes(user).length > 0);
  }, 30_000);

  it('stops cleanly: the turn in flight finished, its socket closed, before stop() resolves', async () => {
    await quiet();
    const user = newMentor();
    const id = socket.sendEvent(user.messageEvent('Bonjour'));
    await socket.waitForAck(id, 3000);
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    // A graceful shutdown waits for the work acknowledged but not done (as over HTTP)…
    expect.soft(welcomes(user), 'turn in flight at stop()').toHaveLength(1);
    // … and has sent its close frame: no event can arrive once stop() has resolved.
    expect.soft(socket.openCount(), 'sockets still open after stop()').toBe(0);
    await socket.waitForClosed();
    expect(socket.connections.map((c) => c.closeCode)).toEqual(socket.connections.map(() => 1000));
    // Every envelope sent was acknowledged, and nothing else came over the socket.
    expect(socket.sent.every((s) => socket.ackOf(s.envelope.envelope_id))).toBe(true);
    expect(socket.unexpected).toEqual([]);
  });
});
