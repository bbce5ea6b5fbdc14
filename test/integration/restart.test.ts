import { describe, expect, it } from 'vitest';
import { freePort } from '../../bot/db/ferretdb.js';
import { TEST_SECRET } from '../helpers/app.js';
import { freshDbUri } from '../helpers/db.js';
import { startMain, waitFor } from '../helpers/process.js';

/** A user talks to one app process, which stops; a second process on the same database takes over. */
describe('restart', () => {
  it('resumes the user at the same step, with the earlier answers, in a new process', async () => {
    const uri = freshDbUri('restart');
    const env = (port: number) => ({
      PORT: String(port),
      MONGODB_URI: uri,
      WEBCHAT_SECRET: TEST_SECRET,
      TOKEN_SIGNING_KEY: 'restart-signing-key-0123456789',
      LOG_LEVEL: 'warn',
    });
    const portA = await freePort();
    const a = startMain(env(portA));
    try {
      await waitFor(`http://127.0.0.1:${portA}/readyz`, (s) => s === 200);
      const base = (port: number) => `http://127.0.0.1:${port}/v3/directline`;
      const gen = (await (
        await fetch(`${base(portA)}/tokens/generate`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${TEST_SECRET}` },
        })
      ).json()) as { token: string; conversationId: string };
      const say = async (port: number, text: string) => {
        const url = `${base(port)}/conversations/${gen.conversationId}/activities`;
        const headers = { Authorization: `Bearer ${gen.token}`, 'Content-Type': 'application/json' };
        const before = (await (await fetch(url, { headers })).json()) as { watermark: string };
        await fetch(url, { method: 'POST', headers, body: JSON.stringify({ type: 'message', text }) });
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const set = (await (await fetch(`${url}?watermark=${before.watermark}`, { headers })).json()) as {
            activities: Array<{ from: { id: string }; text: string }>;
          };
          const bot = set.activities.filter((x) => x.from.id === 'tandem');
          if (bot.length > 0) return bot.map((x) => x.text).join('\n');
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`no reply to ${text}`);
      };
      await say(portA, 'Bonjour');
      await say(portA, 'oui');
      await say(portA, '26-35');
      expect(await say(portA, 'Samir')).toMatch(/votre situation/);

      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);

      const portB = await freePort();
      const b = startMain(env(portB));
      try {
        await waitFor(`http://127.0.0.1:${portB}/readyz`, (s) => s === 200);
        expect(await say(portB, 'reconversion')).toMatch(/votre objectif/);
        await say(portB, 'créer une entreprise');
        await say(portB, 'commerce');
        await say(portB, "c'est tout");
        await say(portB, 'Marseille 13005');
        await say(portB, 'en semaine');
        await say(portB, "c'est tout");
        await say(portB, 'visio');
        await say(portB, 'français, arabe');
        await say(portB, "c'est tout");
        const summary = await say(portB, 'Ouvrir une épicerie fine.');
        expect(summary).toContain('• Prénom : Samir');
        expect(summary).toContain("• Tranche d'âge : 26 à 35 ans");
        expect(summary).toContain('• Situation : En reconversion');
      } finally {
        b.child.kill('SIGTERM');
        await b.exited;
      }
    } finally {
      if (a.child.exitCode === null) a.child.kill('SIGKILL');
    }
  });
});
