import { describe, expect, it } from 'vitest';
import { answeredBlocks, escapeMrkdwn, readSlackText, render } from '../../channels/slack/format.js';

const card = (title: string, urls: string[]) => ({
  contentType: 'application/vnd.microsoft.card.hero',
  content: { title, buttons: urls.map((u, i) => ({ type: 'openUrl', title: `Lien ${i}`, value: u })) },
});

describe('Slack rendering', () => {
  it('escapes mrkdwn control characters and reads what Slack delivers back', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    expect(readSlackText('voir <https://a.example/x|mon site> &amp; &lt;b&gt;')).toBe('voir mon site & <b>');
  });

  it('reads emoji codes as emoji, and mentions and phone links as plain words', () => {
    // `:+1:` read as text would be "1", the first choice of a question.
    expect(readSlackText(':+1:')).toBe('👍');
    expect(readSlackText(':thumbsup::skin-tone-3:')).toBe('👍');
    expect(readSlackText('oui :white_check_mark:')).toBe('oui ✅');
    expect(readSlackText(':tada: merci')).toBe(':tada: merci');
    expect(readSlackText('lundi:mardi: matin')).toBe('lundi:mardi: matin');
    expect(readSlackText('rdv à 10:30, ok')).toBe('rdv à 10:30, ok');
    expect(readSlackText('de 10:30:45 à 11:00:00')).toBe('de 10:30:45 à 11:00:00');
    expect(readSlackText('demandez à <@U0123|jean> ou <@U0456>')).toBe('demandez à @jean ou @');
    expect(readSlackText('sur <#C0123|entraide> <!here>')).toBe('sur #entraide @here');
    expect(readSlackText('<!subteam^S01|@rh> <!date^1392734382^{date}|hier>')).toBe('@rh hier');
    expect(readSlackText('<tel:+33612345678|06 12 34 56 78>')).toBe('06 12 34 56 78');
  });

  it("puts a turn's replies in one message, buttons numbered across it", () => {
    const [message, ...rest] = render([
      { type: 'message', text: 'Bonjour' },
      {
        type: 'message',
        text: 'Votre choix ?',
        suggestedActions: {
          to: [],
          actions: [{ type: 'messageBack', title: 'Oui', value: { q: 'x', v: 'yes' } }],
        },
      },
    ]);
    expect(rest).toEqual([]);
    expect(message?.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions']);
    expect(message?.choices).toEqual([{ title: 'Oui', value: { q: 'x', v: 'yes' } }]);
    expect(message?.text).toBe('Bonjour\n\nVotre choix ?');
  });

  it('keeps Slack limits: 3,000 characters a section, 50 blocks a message, a short notification text', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `Ligne ${i} ${'x'.repeat(80)}`).join('\n');
    const messages = render([{ type: 'message', text: long }]);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.blocks.length).toBeLessThanOrEqual(50);
      expect(m.text.length).toBeLessThanOrEqual(3000);
      for (const b of m.blocks)
        if (b.type === 'section') expect(b.text?.text.length).toBeLessThanOrEqual(3000);
    }
  });

  it('gives every link button and every actions block its own id', () => {
    const [message] = render([
      {
        type: 'message',
        attachments: [
          card('A', ['https://a.example', 'https://b.example']),
          card('B', ['https://c.example']),
        ],
      },
    ]);
    const actions = (message?.blocks ?? []).filter((b) => b.type === 'actions');
    const blockIds = actions.map((b) => b.block_id);
    const actionIds = actions.flatMap((b) =>
      b.type === 'actions' ? b.elements.map((e) => e.action_id) : [],
    );
    expect(new Set(blockIds).size).toBe(blockIds.length);
    expect(new Set(actionIds).size).toBe(actionIds.length);
  });

  it('makes our own URLs links, and the buttons give way to the choice', () => {
    const [message] = render([
      { type: 'message', text: 'Notice : https://tandem.example.org/confidentialite.' },
    ]);
    expect(JSON.stringify(message?.blocks)).toContain('<https://tandem.example.org/confidentialite>.');
    const after = answeredBlocks([{ type: 'actions', elements: [] }, ...(message?.blocks ?? [])], 'Oui');
    expect(after.map((b) => b.type)).toEqual(['section', 'context']);
  });
});
