import type { App } from '../../bot/app.js';
import type { FakeSlack, StoredMessage } from './fake-slack.js';
import { asEvent, asInteraction, asSlashCommand, signSlackRequest, slackFixture } from './slack-fixtures.js';

export const SIGNING_SECRET = 'test-slack-signing-secret-0123456789';

/** The app's environment for a Slack channel (HTTP events) on the fake Web API. */
export function slackEnv(fake: FakeSlack, perChannel = '50'): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fake.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: `${fake.url}/api/`,
    SLACK_MAX_PER_CHANNEL_PER_S: perChannel,
  };
}

/** Posts a body to /slack/events signed as Slack signs it (or with the headers given). */
export async function postSlack(
  app: App,
  body: string,
  contentType: string,
  headers: Record<string, string> = signSlackRequest(body, SIGNING_SECRET),
): Promise<Response> {
  return fetch(`${app.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
}

let nextEvent = 1;

/** A mentor in Slack, talking to the app in their direct message with it. */
export class SlackUser {
  readonly channel: string;

  constructor(
    private readonly fake: FakeSlack,
    private readonly app: App,
    readonly userId: string,
  ) {
    this.channel = fake.dmChannel(userId);
  }

  /** A message.im event of this user, ready to post; in the thread of `threadTs` (a reply in it), if given. */
  messageEvent(text: string, threadTs?: string) {
    const payload = slackFixture('message_im', {
      userId: this.userId,
      text,
      eventId: `Ev${Date.now()}${nextEvent++}`,
      ts: `${Math.floor(Date.now() / 1000)}.${String(nextEvent).padStart(6, '0')}`,
    });
    // As Slack sends a reply in a thread: the parent's ts, and who wrote the parent.
    if (threadTs) {
      const parent = this.fake.messages(this.channel).find((m) => m.ts === threadTs);
      Object.assign(payload.event, { thread_ts: threadTs, parent_user_id: parent?.user ?? this.userId });
      // The parent now has a reply: Slack gives it a thread_ts of its own.
      if (parent) parent.thread_ts ??= parent.ts;
    }
    return payload;
  }

  /** Sends a direct message (in a thread, given its parent's ts); returns the bot's new messages once the turn is done. */
  async say(text: string, threadTs?: string): Promise<StoredMessage[]> {
    return this.deliver(asEvent(this.messageEvent(text, threadTs)), 'application/json');
  }

  /** Clicks the button titled `title` on the latest message that has it. */
  async click(title: string): Promise<StoredMessage[]> {
    return this.deliver(asInteraction(this.clickPayload(title)), 'application/x-www-form-urlencoded');
  }

  /** The block_actions payload of a click on the latest button titled `title`. */
  clickPayload(title: string) {
    for (const message of [...this.fake.messages(this.channel)].reverse()) {
      for (const block of message.blocks ?? []) {
        const button = (
          block.elements as
            | Array<{ text?: { text?: string }; value?: string; action_id?: string }>
            | undefined
        )?.find((e) => e.text?.text === title);
        if (button?.value) {
          const payload = slackFixture('block_actions', {
            userId: this.userId,
            value: button.value,
            actionId: button.action_id,
            ts: message.ts,
            blockId: block.block_id as string | undefined,
          });
          (payload as { message: { blocks?: unknown } }).message.blocks = message.blocks;
          // A message in a thread: Slack says so in the container and in the message.
          if (message.thread_ts) {
            Object.assign(payload.container ?? {}, { thread_ts: message.thread_ts });
            Object.assign(payload.message ?? {}, { thread_ts: message.thread_ts });
          }
          return payload;
        }
      }
    }
    throw new Error(`no button "${title}" in ${this.channel}: ${this.transcript()}`);
  }

  /** Runs /tandem <text>; returns the ephemeral answer. */
  async command(text: string): Promise<string> {
    const fields = slackFixture('slash_command', { userId: this.userId, text }) as unknown as Record<
      string,
      string
    >;
    const res = await postSlack(this.app, asSlashCommand(fields), 'application/x-www-form-urlencoded');
    const body = (await res.json()) as { text?: string };
    await this.app.slack?.settled();
    return body.text ?? '';
  }

  async deliver(body: string, contentType: string): Promise<StoredMessage[]> {
    const before = this.fake.messages(this.channel).length;
    const res = await postSlack(this.app, body, contentType);
    if (res.status !== 200) throw new Error(`/slack/events answered ${res.status}`);
    await this.app.slack?.settled();
    return this.fake.messages(this.channel).slice(before);
  }

  transcript(): string {
    return this.fake
      .messages(this.channel)
      .map((m) => `${m.ts} ${m.text}`)
      .join('\n');
  }
}
