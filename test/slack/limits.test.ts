import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../bot/app.js';
import { startTestApp } from '../helpers/app.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { SlackUser, slackEnv } from '../helpers/slack-user.js';

let fake: FakeSlack;
let app: App;

// Slack's own limit on both sides: about one message a second in a conversation.
beforeAll(async () => {
  fake = await startFakeSlack();
  app = await startTestApp(slackEnv(fake, '1'));
});
afterAll(async () => {
  await app.stop();
  await fake.close();
});

describe('Slack: limits', () => {
  it('paces messages to one conversation at about one a second, without a 429', async () => {
    const user = new SlackUser(fake, app, 'U0LIMITS01');
    await user.say('Bonjour');
    const slack = app.bot.adapter.channel('slack');
    const ref = { conversation: { id: user.channel } as never, user: { id: user.userId } as never };
    // Three proactive messages (three sends) right after the reply to "Bonjour".
    for (const text of ['Un', 'Deux', 'Trois']) await slack.send(ref, [{ type: 'message', text }]);
    expect(fake.stats.ratelimited).toBe(0);
    const posts = fake.callsOf('chat.postMessage').filter((c) => c.channel === user.channel);
    expect(posts.length).toBe(4);
    for (let i = 1; i < posts.length; i++) {
      expect((posts[i]?.at ?? 0) - (posts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    }
  });

  it("sends a turn's replies as one message", async () => {
    const user = new SlackUser(fake, app, 'U0LIMITS02');
    const replies = await user.say('Bonjour');
    // The welcome and the consent question (with its buttons) arrive together.
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toMatch(/Bienvenue/);
    expect(JSON.stringify(replies[0]?.blocks)).toContain("J'accepte");
  });
});
