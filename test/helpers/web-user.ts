import type { Activity } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { TEST_SECRET } from './app.js';
import { type Reply, toReply } from './bot.js';
import { pollUntil } from './poll.js';

let nextUser = 1;

/**
 * A person in the web chat, through the Direct Line 3.0 HTTP API (tokens, activities, watermarks)
 * as any Direct Line client would talk to the app.
 */
export class WebUser {
  private readonly bot: Reply[] = [];
  private watermark = '';
  private read = 0;

  private constructor(
    private readonly app: App,
    private readonly conversationId: string,
    private readonly token: string,
    readonly userId: string,
  ) {}

  static async start(app: App): Promise<WebUser> {
    const userId = `dl_web_${nextUser++}_${Date.now()}`;
    const res = await fetch(`${app.url}/v3/directline/tokens/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_SECRET}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { id: userId } }),
    });
    const { conversationId, token } = (await res.json()) as { conversationId: string; token: string };
    return new WebUser(app, conversationId, token, userId);
  }

  private async call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.app.url}/v3/directline/conversations/${this.conversationId}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status}`);
    return res.json() as Promise<{ activities?: Partial<Activity>[]; watermark?: string }>;
  }

  /** Fetches what the bot said since the last fetch. */
  private async fetch(): Promise<void> {
    const r = await this.call('GET', `/activities?watermark=${this.watermark}`);
    for (const a of r.activities ?? [])
      if (a.from?.id !== this.userId && a.type === 'message') this.bot.push(toReply(a));
    this.watermark = r.watermark ?? this.watermark;
  }

  /** Types `text`, or presses the button titled `press` of the latest message that has it. */
  async send(input: string | { press: string }): Promise<void> {
    if (typeof input === 'string') {
      await this.call('POST', '/activities', { type: 'message', from: { id: this.userId }, text: input });
      return;
    }
    const button = [...this.bot]
      .reverse()
      .flatMap((s) => s.buttons)
      .find((b) => b.title === input.press);
    if (!button)
      throw new Error(`no button "${input.press}" in ${JSON.stringify(this.bot.map((s) => s.text))}`);
    await this.call('POST', '/activities', {
      type: 'message',
      from: { id: this.userId },
      text: button.title,
      value: button.value,
    });
  }

  /** Sends `input`, then waits for the bot's answer; returns what it said since the last read. */
  async say(input: string | { press: string }, until?: RegExp): Promise<Reply[]> {
    await this.send(input);
    return this.next(until);
  }

  /** Waits until the bot said something new (matching `until`, if given); returns it all. */
  async next(until?: RegExp, timeoutMs = 10_000): Promise<Reply[]> {
    const arrived = () => this.bot.slice(this.read);
    await pollUntil(
      async () => {
        await this.fetch();
        const fresh = arrived();
        return fresh.length > 0 && (!until || fresh.some((s) => until.test(s.text)));
      },
      timeoutMs,
      () =>
        new Error(
          `no answer${until ? ` matching ${until}` : ''}; saw ${JSON.stringify(arrived().map((s) => s.text))}`,
        ),
      50,
    );
    const fresh = arrived();
    this.read = this.bot.length;
    return fresh;
  }
}
