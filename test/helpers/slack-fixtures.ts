import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Real-looking payloads Slack sends to the app (test/fixtures/slack/*.json), with their ids
 * rewritten so several tests can share one fixture, plus the body encodings and the request
 * signature Slack uses. Events arrive as JSON; interactivity as a form with one `payload` field
 * holding JSON; slash commands as plain form fields.
 */

export interface SlackTextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
  verbatim?: boolean;
}

export interface SlackBlock {
  type: string;
  block_id?: string;
  [key: string]: unknown;
}

export interface SlackAuthorization {
  enterprise_id: string | null;
  team_id: string;
  user_id: string;
  is_bot: boolean;
  is_enterprise_install: boolean;
}

export interface SlackMessageEvent {
  type: 'message';
  channel: string;
  channel_type: 'im' | 'channel' | 'group' | 'mpim';
  user: string;
  text: string;
  ts: string;
  event_ts: string;
  team?: string;
  client_msg_id?: string;
  blocks?: SlackBlock[];
  [key: string]: unknown;
}

export interface SlackAppHomeOpenedEvent {
  type: 'app_home_opened';
  user: string;
  channel: string;
  tab: 'home' | 'messages';
  event_ts: string;
  view?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SlackEventCallback<E> {
  token: string;
  team_id: string;
  api_app_id: string;
  event: E;
  type: 'event_callback';
  event_id: string;
  event_time: number;
  authorizations: SlackAuthorization[];
  [key: string]: unknown;
}

export interface SlackAction {
  action_id: string;
  block_id: string;
  type: string;
  text?: SlackTextObject;
  value?: string;
  style?: string;
  action_ts: string;
  [key: string]: unknown;
}

export interface SlackBlockActions {
  type: 'block_actions';
  user: { id: string; username: string; name: string; team_id: string };
  api_app_id: string;
  token: string;
  container: { type: 'message' | 'view'; [key: string]: unknown };
  trigger_id: string;
  team: { id: string; domain: string };
  channel?: { id: string; name: string };
  message?: { ts: string; text: string; blocks?: SlackBlock[]; [key: string]: unknown };
  view?: { id: string; type: string; blocks: SlackBlock[]; [key: string]: unknown };
  response_url?: string;
  actions: SlackAction[];
  [key: string]: unknown;
}

/** Slash commands arrive as form fields: every value is a string. */
export interface SlackSlashCommand {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  trigger_id: string;
  [key: string]: string;
}

export interface SlackUrlVerification {
  token: string;
  challenge: string;
  type: 'url_verification';
}

export interface SlackFixtures {
  message_im: SlackEventCallback<SlackMessageEvent>;
  app_home_opened: SlackEventCallback<SlackAppHomeOpenedEvent>;
  block_actions: SlackBlockActions;
  block_actions_home: SlackBlockActions;
  slash_command: SlackSlashCommand;
  url_verification: SlackUrlVerification;
}

export type SlackFixtureName = keyof SlackFixtures;

export interface SlackFixtureOverrides {
  /** The acting user. In DM payloads the channel follows it ('D' + user id, as the fake opens DMs). */
  userId?: string;
  /** username / name / user_name of the acting user. */
  userName?: string;
  /** The channel (DM) where it happens; wins over the one derived from userId. */
  channelId?: string;
  teamId?: string;
  /** Message text (message_im), command text (slash_command), the clicked message's text (block_actions). */
  text?: string;
  /** Message ts (message_im: ts and event_ts; block_actions: the clicked message's ts). */
  ts?: string;
  eventId?: string;
  /** block_actions: the clicked button (also renamed in the message / view blocks). */
  actionId?: string;
  value?: string;
  blockId?: string;
  triggerId?: string;
  responseUrl?: string;
  /** slash_command only. */
  command?: string;
  /** url_verification only. */
  challenge?: string;
  /** block_actions_home only: the App Home view id. */
  viewId?: string;
}

/** The DM channel between the app and a user, as the fake's conversations.open names it. */
export const dmChannelOf = (userId: string) => `D${userId}`;

const fixtureDir = new URL('../fixtures/slack/', import.meta.url);
const cache = new Map<SlackFixtureName, unknown>();

/** Loads a fixture (a fresh deep copy each time) and rewrites its ids consistently. */
export function slackFixture<N extends SlackFixtureName>(
  name: N,
  overrides: SlackFixtureOverrides = {},
): SlackFixtures[N] {
  const payload = structuredClone(load(name)) as SlackFixtures[N];
  rewrite(name, payload, overrides);
  return payload;
}

/** Headers Slack adds to every request: v0 HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function signSlackRequest(
  body: string,
  secret: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}

/** Interactivity body (Content-Type application/x-www-form-urlencoded): `payload=<JSON>`. */
export function asInteraction(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slash command body (Content-Type application/x-www-form-urlencoded): the fields themselves. */
export function asSlashCommand(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Events API body (Content-Type application/json). */
export function asEvent(payload: object): string {
  return JSON.stringify(payload);
}

// ---------------------------------------------------------------------------------------------

function load(name: SlackFixtureName): unknown {
  let payload = cache.get(name);
  if (payload === undefined) {
    payload = JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8'));
    cache.set(name, payload);
  }
  return payload;
}

function rewrite(name: SlackFixtureName, payload: unknown, o: SlackFixtureOverrides): void {
  switch (name) {
    case 'message_im':
      rewriteMessageEvent(payload as SlackFixtures['message_im'], o);
      break;
    case 'app_home_opened':
      rewriteHomeOpened(payload as SlackFixtures['app_home_opened'], o);
      break;
    case 'block_actions':
    case 'block_actions_home':
      rewriteBlockActions(payload as SlackBlockActions, o);
      break;
    case 'slash_command':
      rewriteSlashCommand(payload as SlackSlashCommand, o);
      break;
    case 'url_verification':
      if (o.challenge !== undefined) (payload as SlackUrlVerification).challenge = o.challenge;
      break;
  }
}

/** The DM channel: explicit, else the acting user's, else unchanged. */
function dmChannel(o: SlackFixtureOverrides): string | undefined {
  return o.channelId ?? (o.userId !== undefined ? dmChannelOf(o.userId) : undefined);
}

function rewriteEnvelope(payload: SlackEventCallback<unknown>, o: SlackFixtureOverrides): void {
  if (o.eventId !== undefined) payload.event_id = o.eventId;
  if (o.teamId === undefined) return;
  payload.team_id = o.teamId;
  payload.context_team_id = o.teamId;
  for (const auth of payload.authorizations) auth.team_id = o.teamId;
}

function rewriteMessageEvent(payload: SlackFixtures['message_im'], o: SlackFixtureOverrides): void {
  rewriteEnvelope(payload, o);
  const event = payload.event;
  if (o.userId !== undefined) event.user = o.userId;
  const channel = dmChannel(o);
  if (channel !== undefined) event.channel = channel;
  if (o.teamId !== undefined) event.team = o.teamId;
  if (o.ts !== undefined) {
    event.ts = o.ts;
    event.event_ts = o.ts;
    payload.event_time = Math.floor(Number(o.ts));
  }
  if (o.text !== undefined) {
    event.text = o.text;
    // Slack mirrors the typed text as one rich_text section.
    event.blocks = [
      {
        type: 'rich_text',
        block_id: event.blocks?.[0]?.block_id ?? 'Xk2Pq',
        elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: o.text }] }],
      },
    ];
  }
}

function rewriteHomeOpened(payload: SlackFixtures['app_home_opened'], o: SlackFixtureOverrides): void {
  rewriteEnvelope(payload, o);
  if (o.userId !== undefined) payload.event.user = o.userId;
  const channel = dmChannel(o);
  if (channel !== undefined) payload.event.channel = channel;
  if (o.ts !== undefined) {
    payload.event.event_ts = o.ts;
    payload.event_time = Math.floor(Number(o.ts));
  }
}

function rewriteBlockActions(payload: SlackBlockActions, o: SlackFixtureOverrides): void {
  if (o.userId !== undefined) payload.user.id = o.userId;
  if (o.userName !== undefined) {
    payload.user.username = o.userName;
    payload.user.name = o.userName;
  }
  if (o.teamId !== undefined) {
    payload.user.team_id = o.teamId;
    payload.team.id = o.teamId;
    if (payload.message) payload.message.team = o.teamId;
    if (payload.view) {
      payload.view.team_id = o.teamId;
      payload.view.app_installed_team_id = o.teamId;
    }
  }
  if (o.triggerId !== undefined) payload.trigger_id = o.triggerId;
  if (payload.container.type === 'message') {
    const channel = dmChannel(o);
    if (channel !== undefined) {
      payload.container.channel_id = channel;
      if (payload.channel) payload.channel.id = channel;
    }
    if (o.ts !== undefined) {
      payload.container.message_ts = o.ts;
      if (payload.message) payload.message.ts = o.ts;
    }
    if (o.text !== undefined && payload.message) payload.message.text = o.text;
    if (o.responseUrl !== undefined) payload.response_url = o.responseUrl;
  } else if (o.viewId !== undefined) {
    payload.container.view_id = o.viewId;
    if (payload.view) {
      payload.view.id = o.viewId;
      payload.view.root_view_id = o.viewId;
    }
  }
  rewriteAction(payload, o);
}

/** Changes the clicked action and the button it came from, so the payload stays self-consistent. */
function rewriteAction(payload: SlackBlockActions, o: SlackFixtureOverrides): void {
  const action = payload.actions[0];
  if (!action) return;
  const blocks = payload.message?.blocks ?? payload.view?.blocks ?? [];
  const block = blocks.find((b) => b.block_id === action.block_id);
  const elements = Array.isArray(block?.elements) ? (block.elements as Record<string, unknown>[]) : [];
  const element = elements.find((e) => e.action_id === action.action_id);
  if (o.actionId !== undefined) {
    action.action_id = o.actionId;
    if (element) element.action_id = o.actionId;
  }
  if (o.value !== undefined) {
    action.value = o.value;
    if (element) element.value = o.value;
  }
  if (o.blockId !== undefined) {
    action.block_id = o.blockId;
    if (block) block.block_id = o.blockId;
  }
}

function rewriteSlashCommand(payload: SlackSlashCommand, o: SlackFixtureOverrides): void {
  if (o.userId !== undefined) payload.user_id = o.userId;
  if (o.userName !== undefined) payload.user_name = o.userName;
  const channel = dmChannel(o);
  if (channel !== undefined) payload.channel_id = channel;
  if (o.teamId !== undefined) payload.team_id = o.teamId;
  if (o.text !== undefined) payload.text = o.text;
  if (o.command !== undefined) payload.command = o.command;
  if (o.triggerId !== undefined) payload.trigger_id = o.triggerId;
  if (o.responseUrl !== undefined) payload.response_url = o.responseUrl;
}
