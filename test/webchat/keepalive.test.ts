import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Database } from '../../bot/db/database.js';
import { WebchatStore } from '../../channels/webchat/store.js';
import { DirectLineStream } from '../../channels/webchat/stream.js';
import { TokenSigner } from '../../channels/webchat/tokens.js';
import { silentLog, useTestDb } from '../helpers/db.js';

let db: Database;
let server: http.Server;
let stream: DirectLineStream;
let base: string;
const signer = new TokenSigner('a-signing-key-for-the-keep-alive-test', 1800);

beforeAll(async () => {
  db = await useTestDb('keepalive');
  server = http.createServer();
  stream = new DirectLineStream(server, {
    store: new WebchatStore(db.connection),
    signer,
    origins: [],
    log: silentLog,
    turns: { lostAfterMs: 60_000, recover: async () => ({ recovered: 0, later: 0 }) },
    pingMs: 100,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  stream.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('the stream keeps its sockets alive', () => {
  it("sends Direct Line's keep-alive, an empty message, that a page can see (pings it cannot)", async () => {
    const store = new WebchatStore(db.connection);
    const conversationId = await store.createConversation('dl_keepalive');
    const ws = new WebSocket(
      `${base}/v3/directline/conversations/${conversationId}/stream?t=${signer.issue(conversationId, 'dl_keepalive')}`,
    );
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    await new Promise((resolve) => setTimeout(resolve, 450));
    ws.close();
    expect(frames.filter((f) => f === '').length).toBeGreaterThanOrEqual(2);
  });
});
