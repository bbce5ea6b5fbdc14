import { createHmac } from 'node:crypto';
import {
  type Logger,
  LogLevel,
  type RetryOptions,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebClient,
} from '@slack/web-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import {
  asInteraction,
  asSlashCommand,
  type SlackFixtureName,
  signSlackRequest,
  slackFixture,
} from '../helpers/slack-fixtures.js';

/** WebClient logs rate limits and [ERROR] response messages; the tests read the errors instead. */
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

function client(fake: FakeSlack, retryConfig: RetryOptions = { retries: 0 }, token = fake.token): WebClient {
  return new WebClient(token, {
    slackApiUrl: `${fake.url}/api/`,
    retryConfig,
    rejectRateLimitedCalls: retryConfig.retries === 0,
    logger: silent,
  });
}

/** The error a call fails with (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function platformError(call: Promise<unknown>): Promise<WebAPIPlatformError> {
  const err = await failure(call);
  if (err instanceof WebAPIPlatformError) return err;
  throw err;
}

const button = (text: string, action_id: string, value = action_id) => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id,
  value,
});

const demande = [
  { type: 'section', text: { type: 'mrkdwn', text: '*Nouvelle demande* de Camille' } },
  { type: 'actions', elements: [button('Accepter', 'accepter'), button('Décliner', 'decliner')] },
];

describe('fake Slack: Web API through the real WebClient', () => {
  let fake: FakeSlack;
  let slack: WebClient;

  beforeAll(async () => {
    // Generous rate: these tests are about content; the per-channel limit has its own block.
    fake = await startFakeSlack({ perChannelRate: 1000, perChannelBurst: 1000 });
    slack = client(fake);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers auth.test with the bot, and refuses bad tokens and unknown methods like Slack', async () => {
    const me = await slack.auth.test();
    expect(me).toMatchObject({ ok: true, team_id: 'T0HUB13', user_id: 'U0TANDEMBOT', user: 'tandem' });
    expect(me.bot_id).toMatch(/^B/);

    const intruder = client(fake, { retries: 0 }, 'xoxb-wrong');
    expect((await platformError(intruder.auth.test())).data.error).toBe('invalid_auth');
    const anonymous = await fetch(`${fake.url}/api/auth.test`, { method: 'POST' });
    expect([anonymous.status, await anonymous.json()]).toEqual([200, { ok: false, error: 'not_authed' }]);

    const unknown = await failure(slack.apiCall('chat.telepathy', { channel: 'C1' }));
    expect(unknown).toBeInstanceOf(WebAPIHTTPError);
    expect((unknown as WebAPIHTTPError).statusCode).toBe(404);
    expect((unknown as WebAPIHTTPError).body).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('opens a stable DM per user and resolves user ids to it', async () => {
    const first = await slack.conversations.open({ users: 'U05K7QJ3M2P' });
    const again = await slack.conversations.open({ users: 'U05K7QJ3M2P' });
    expect(first.channel?.id).toBe('DU05K7QJ3M2P');
    expect([first.already_open, again.already_open, again.channel?.id]).toEqual([
      false,
      true,
      'DU05K7QJ3M2P',
    ]);
    expect(fake.dmChannel('U05K7QJ3M2P')).toBe('DU05K7QJ3M2P');

    const sent = await slack.chat.postMessage({ channel: 'U05K7QJ3M2P', text: 'Bonjour Julien' });
    expect(sent.channel).toBe('DU05K7QJ3M2P');
    expect(fake.lastMessage('DU05K7QJ3M2P')?.text).toBe('Bonjour Julien');
    expect(fake.lastMessage('U05K7QJ3M2P')?.ts).toBe(sent.ts);
  });

  it('stores posted messages with increasing ts and records the decoded call', async () => {
    const a = await slack.chat.postMessage({ channel: 'D1', text: 'Nouvelle demande', blocks: demande });
    const b = await slack.chat.postMessage({ channel: 'D1', text: 'Deuxième' });
    expect(a).toMatchObject({
      ok: true,
      channel: 'D1',
      message: { text: 'Nouvelle demande', user: 'U0TANDEMBOT' },
    });
    expect(a.message?.blocks).toEqual(demande);
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));

    expect(fake.messages('D1').map((m) => [m.ts, m.text])).toEqual([
      [a.ts, 'Nouvelle demande'],
      [b.ts, 'Deuxième'],
    ]);
    const [call] = fake.callsOf('chat.postMessage');
    expect(call).toMatchObject({
      status: 200,
      ok: true,
      channel: 'D1',
      params: { text: 'Nouvelle demande' },
    });
    // WebClient sends blocks as a JSON string in a form body; the record holds the objects.
    expect(call?.params.blocks).toEqual(demande);
    expect(call?.params).not.toHaveProperty('token');
  });

  it('rejects what Slack rejects: no channel, no text, too long, invalid blocks', async () => {
    const post = (args: Record<string, unknown>) => platformError(slack.apiCall('chat.postMessage', args));
    expect((await post({ text: 'Sans canal' })).data.error).toBe('channel_not_found');
    expect((await post({ channel: 'D1' })).data.error).toBe('no_text');
    expect((await post({ channel: 'D1', text: 'x'.repeat(40_001) })).data.error).toBe('msg_too_long');
    await slack.chat.postMessage({ channel: 'D1', text: 'x'.repeat(40_000) });

    const invalid = async (blocks: unknown) => {
      const err = await post({ channel: 'D1', text: 'Menu', blocks });
      expect(err.data.error).toBe('invalid_blocks');
      return (err.data as { errors?: string[] }).errors ?? [];
    };
    const actions = (...elements: unknown[]) => [{ type: 'actions', elements }];
    expect(await invalid([{ type: 'sections', text: { type: 'mrkdwn', text: 'x' } }])).toEqual([
      'unsupported type: sections [json-pointer:/blocks/0/type]',
    ]);
    expect(await invalid(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toHaveLength(1);
    expect(await invalid(actions(...Array.from({ length: 26 }, (_, i) => button(`B${i}`, `b${i}`))))).toEqual(
      ['no more than 25 items allowed [json-pointer:/blocks/0/elements]'],
    );
    expect(await invalid(actions(button('x'.repeat(76), 'long')))).toEqual([
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ]);
    await invalid(actions({ ...button('Oui', 'oui'), text: { type: 'mrkdwn', text: '*Oui*' } }));
    await invalid(actions(button('Oui', 'a'.repeat(256))));
    await invalid(actions(button('Oui', 'oui', 'v'.repeat(2001))));

    const badJson = await post({ channel: 'D1', text: 'Menu', blocks: '[{"type":' });
    expect(badJson.data.error).toBe('invalid_blocks_format');
    // At the limits, everything passes.
    await slack.chat.postMessage({
      channel: 'D1',
      text: 'Menu',
      blocks: [
        ...Array.from({ length: 49 }, () => ({ type: 'divider' as const })),
        {
          type: 'actions',
          elements: Array.from({ length: 25 }, (_, i) => ({
            type: 'button' as const,
            text: { type: 'plain_text' as const, text: 'x'.repeat(75) },
            action_id: `${i}`.padStart(255, 'a'),
            value: 'v'.repeat(2000),
          })),
        },
      ],
    });
    expect(fake.messages('D1')).toHaveLength(2);
    expect(fake.callsOf('chat.postMessage').filter((c) => !c.ok)).toHaveLength(11);
  });

  it('replaces a message with chat.update, keeping its ts', async () => {
    const { ts } = await slack.chat.postMessage({ channel: 'D1', text: 'Nouvelle demande', blocks: demande });
    const done = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: '✅ Acceptée' } }];
    const updated = await slack.chat.update({
      channel: 'D1',
      ts: ts as string,
      text: 'Acceptée',
      blocks: done,
    });
    expect(updated).toMatchObject({ ok: true, channel: 'D1', ts, text: 'Acceptée' });
    expect(fake.messages('D1')).toHaveLength(1);
    expect(fake.lastMessage('D1')).toMatchObject({ ts, text: 'Acceptée', blocks: done });
    expect(fake.lastMessage('D1')?.edited?.user).toBe('U0TANDEMBOT');

    // Text only: Slack keeps the blocks.
    await slack.chat.update({ channel: 'D1', ts: ts as string, text: 'Acceptée par Julien' });
    expect(fake.lastMessage('D1')).toMatchObject({ text: 'Acceptée par Julien', blocks: done });

    const unknown = await platformError(slack.chat.update({ channel: 'D1', ts: '1.000000', text: 'x' }));
    expect(unknown.data.error).toBe('message_not_found');
  });

  it('keeps ephemerals apart from messages, and gives permalinks', async () => {
    const { message_ts } = await slack.chat.postEphemeral({ channel: 'C0MENTORS', user: 'U1', text: 'Psst' });
    expect(message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.ephemerals('C0MENTORS')).toEqual([
      { channel: 'C0MENTORS', user: 'U1', ts: message_ts, text: 'Psst' },
    ]);
    expect(fake.messages('C0MENTORS')).toEqual([]);

    const { ts } = await slack.chat.postMessage({ channel: 'C0MENTORS', text: 'Bienvenue' });
    const link = await slack.chat.getPermalink({ channel: 'C0MENTORS', message_ts: ts as string });
    expect(link.permalink).toBe(`https://tandem-hub13.slack.com/archives/C0MENTORS/p${ts?.replace('.', '')}`);
  });

  it('stores the App Home published per user and validates the view', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Tandem — espace mentor' } },
      ...demande,
    ];
    const published = await slack.views.publish({
      user_id: 'U05K7QJ3M2P',
      view: { type: 'home', blocks } as never,
    });
    expect(published.view).toMatchObject({ type: 'home', team_id: 'T0HUB13', blocks });
    expect(fake.home('U05K7QJ3M2P')).toMatchObject({ id: published.view?.id, type: 'home', blocks });
    expect(fake.callsOf('views.publish')[0]?.params.view).toEqual({ type: 'home', blocks });

    const again = await slack.views.publish({ user_id: 'U05K7QJ3M2P', view: { type: 'home', blocks: [] } });
    expect(again.view?.id).toBe(published.view?.id);
    expect(fake.home('U05K7QJ3M2P')?.blocks).toEqual([]);
    expect(fake.home('U0OTHER')).toBeUndefined();

    const publish = (view: unknown) => platformError(slack.apiCall('views.publish', { user_id: 'U1', view }));
    expect((await publish({ type: 'modal', blocks: [] })).data.error).toBe('invalid_arguments');
    const tooLong = await publish({
      type: 'home',
      blocks: [{ type: 'actions', elements: [button('x'.repeat(80), 'x')] }],
    });
    expect(tooLong.data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 76 characters [json-pointer:/view/blocks/0/elements/0/text/text]',
    ]);
    expect(fake.home('U1')).toBeUndefined();
  });

  it('answers users.info for added users only', async () => {
    fake.addUser('U05K7QJ3M2P', { real_name: 'Julien Moreau', display_name: 'julien', first_name: 'Julien' });
    const { user } = await slack.users.info({ user: 'U05K7QJ3M2P', include_locale: true });
    expect(user).toMatchObject({
      id: 'U05K7QJ3M2P',
      real_name: 'Julien Moreau',
      is_bot: false,
      locale: 'fr-FR',
      profile: {
        real_name: 'Julien Moreau',
        display_name: 'julien',
        first_name: 'Julien',
        last_name: 'Moreau',
      },
    });
    expect((await slack.users.info({ user: 'U0TANDEMBOT' })).user?.is_bot).toBe(true);
    expect((await platformError(slack.users.info({ user: 'U0NOBODY' }))).data.error).toBe('user_not_found');
  });

  it('fails the next calls of a method on demand, then recovers', async () => {
    fake.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    expect((await platformError(slack.chat.postMessage({ channel: 'D1', text: 'A' }))).data.error).toBe(
      'channel_not_found',
    );
    fake.failNext('chat.postMessage', 1, { status: 429, error: 'ratelimited', retryAfter: 7 });
    const limited = await failure(slack.chat.postMessage({ channel: 'D1', text: 'B' }));
    expect(limited).toBeInstanceOf(WebAPIRateLimitedError);
    expect((limited as WebAPIRateLimitedError).retryAfter).toBe(7);
    fake.failNext('auth.test', 1, { status: 503, error: 'service_unavailable' });
    expect(((await failure(slack.auth.test())) as WebAPIHTTPError).statusCode).toBe(503);

    await slack.chat.postMessage({ channel: 'D1', text: 'C' });
    expect(fake.messages('D1').map((m) => m.text)).toEqual(['C']);
    expect(fake.callsOf('chat.postMessage').map((c) => [c.status, c.error])).toEqual([
      [200, 'channel_not_found'],
      [429, 'ratelimited'],
      [200, undefined],
    ]);
    expect(fake.stats.ratelimited).toBe(1);
  });

  it('waitFor resolves on the condition and explains a timeout', async () => {
    setTimeout(() => void slack.chat.postMessage({ channel: 'D1', text: 'Plus tard' }), 30);
    await fake.waitFor(() => fake.lastMessage('D1')?.text === 'Plus tard');
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(
      /within 50 ms.*chat\.postMessage\(D1\) -> 200/,
    );
  });
});

describe('fake Slack: about one message per second per channel', () => {
  let fake: FakeSlack;
  afterEach(() => fake.close());

  it('answers a second message within the second with 429, Retry-After and ratelimited', async () => {
    fake = await startFakeSlack();
    const slack = client(fake);
    await slack.chat.postMessage({ channel: 'D1', text: 'Un' });
    const err = await failure(slack.chat.postMessage({ channel: 'D1', text: 'Deux' }));
    expect(err).toBeInstanceOf(WebAPIRateLimitedError);
    expect((err as WebAPIRateLimitedError).retryAfter).toBe(1);
    expect(fake.messages('D1').map((m) => m.text)).toEqual(['Un']);
    expect(fake.stats.ratelimited).toBe(1);
    expect(fake.callsOf('chat.postMessage').map((c) => [c.status, c.error])).toEqual([
      [200, undefined],
      [429, 'ratelimited'],
    ]);
    // The raw answer, as Slack sends it.
    const raw = await fetch(`${fake.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'D1', text: 'Trois' }),
    });
    expect([raw.status, raw.headers.get('retry-after'), await raw.json()]).toEqual([
      429,
      '1',
      { ok: false, error: 'ratelimited' },
    ]);
    // Other channels have their own bucket; updates are not limited per channel.
    await slack.chat.postMessage({ channel: 'D2', text: 'Autre canal' });
    const { ts } = fake.messages('D1')[0] ?? { ts: '' };
    await slack.chat.update({ channel: 'D1', ts, text: 'Un (modifié)' });
  });

  it('lets a client that honours Retry-After through', async () => {
    fake = await startFakeSlack();
    const slack = client(fake, { retries: 1 });
    await slack.chat.postMessage({ channel: 'D1', text: 'Un' });
    const started = Date.now();
    const second = await slack.chat.postMessage({ channel: 'D1', text: 'Deux' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(second.ok).toBe(true);
    expect(fake.messages('D1').map((m) => m.text)).toEqual(['Un', 'Deux']);
    expect(fake.callsOf('chat.postMessage').map((c) => c.status)).toEqual([200, 429, 200]);
  });
});

describe('slack fixtures and request signing', () => {
  const names: SlackFixtureName[] = [
    'message_im',
    'block_actions',
    'app_home_opened',
    'slash_command',
    'url_verification',
    'block_actions_home',
  ];

  it('signs requests exactly like the example of Slack’s documentation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(body, '8f742231b10e8888abcd99yyyzzz85a5', 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
    const now = Math.floor(Date.now() / 1000);
    const { 'x-slack-request-timestamp': ts } = signSlackRequest('{}', 'secret');
    expect(Math.abs(Number(ts) - now)).toBeLessThanOrEqual(1);
  });

  it('encodes bodies as Slack sends them', () => {
    const command = slackFixture('slash_command');
    const body = asSlashCommand(command);
    expect(body).toContain('command=%2Ftandem&text=statut');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual(command);

    const tap = slackFixture('block_actions');
    const form = new URLSearchParams(asInteraction(tap));
    expect([...form.keys()]).toEqual(['payload']);
    expect(JSON.parse(form.get('payload') ?? '')).toEqual(tap);
    // A signature covers the exact raw body.
    const signed = signSlackRequest(asInteraction(tap), 's3cr3t', 1718264215);
    const expected = createHmac('sha256', 's3cr3t')
      .update(`v0:1718264215:${asInteraction(tap)}`)
      .digest('hex');
    expect(signed['x-slack-signature']).toBe(`v0=${expected}`);
  });

  it('are real-looking payloads', () => {
    for (const name of names) expect(slackFixture(name), name).toHaveProperty('token');
    const dm = slackFixture('message_im');
    expect(dm).toMatchObject({ type: 'event_callback', team_id: 'T0HUB13', event: { type: 'message' } });
    expect(dm.event).toMatchObject({ channel_type: 'im', channel: 'DU05K7QJ3M2P', user: 'U05K7QJ3M2P' });
    expect(dm.event_id).toMatch(/^Ev/);
    expect(slackFixture('app_home_opened').event).toMatchObject({ type: 'app_home_opened', tab: 'home' });
    expect(slackFixture('url_verification')).toMatchObject({ type: 'url_verification' });

    const tap = slackFixture('block_actions');
    expect(tap.container).toMatchObject({
      type: 'message',
      channel_id: tap.channel?.id,
      is_ephemeral: false,
    });
    expect(tap.container.message_ts).toBe(tap.message?.ts);
    expect(tap.actions[0]).toMatchObject({ type: 'button', text: { type: 'plain_text' } });
    const home = slackFixture('block_actions_home');
    expect(home.container).toEqual({ type: 'view', view_id: home.view?.id });
    expect(home.view?.type).toBe('home');
    expect(home).not.toHaveProperty('response_url');
  });

  it('rewrites ids consistently and never shares state between calls', () => {
    const dm = slackFixture('message_im', {
      userId: 'U0CAMILLE',
      text: 'Salut',
      eventId: 'Ev0TEST1',
      ts: '1718300000.000200',
    });
    expect(dm).toMatchObject({
      event_id: 'Ev0TEST1',
      event_time: 1718300000,
      event: { user: 'U0CAMILLE', channel: 'DU0CAMILLE', text: 'Salut', ts: '1718300000.000200' },
    });
    expect(JSON.stringify(dm.event.blocks)).toContain('"text":"Salut"');
    expect(slackFixture('message_im').event.user).toBe('U05K7QJ3M2P');

    const tap = slackFixture('block_actions', {
      userId: 'U9',
      actionId: 'mentorat_decliner_x',
      value: 'demande:42',
    });
    expect([tap.user.id, tap.channel?.id, tap.container.channel_id]).toEqual(['U9', 'DU9', 'DU9']);
    expect(tap.actions[0]).toMatchObject({ action_id: 'mentorat_decliner_x', value: 'demande:42' });
    expect(JSON.stringify(tap.message?.blocks)).toContain('"action_id":"mentorat_decliner_x"');

    const command = slackFixture('slash_command', { userId: 'U9', text: 'pause', channelId: 'C0GENERAL' });
    expect([command.user_id, command.channel_id, command.text]).toEqual(['U9', 'C0GENERAL', 'pause']);
    const home = slackFixture('block_actions_home', { viewId: 'V0X', value: 'reprise' });
    expect([home.container.view_id, home.view?.id, home.actions[0]?.value]).toEqual([
      'V0X',
      'V0X',
      'reprise',
    ]);
    expect(slackFixture('url_verification', { challenge: 'abc' }).challenge).toBe('abc');
  });
});
