import { describe, expect, it } from 'vitest';
import { escapeHtml, keyboardRows, render, splitEscaped } from '../../channels/telegram/format.js';

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('Telegram rendering', () => {
  it('escapes the three HTML characters and nothing else', () => {
    expect(escapeHtml('<b>Léa</b> & "co"')).toBe('&lt;b&gt;Léa&lt;/b&gt; &amp; "co"');
  });

  it('splits at a line boundary, each part within the limit as Telegram counts it', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Ligne ${i} & <x>`).join('\n');
    const parts = splitEscaped(text, 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(decode(p).length).toBeLessThanOrEqual(100);
    expect(parts.map(decode).join('\n')).toBe(text);
  });

  it('never cuts an emoji in two, even without any space', () => {
    const text = '👩‍👩‍👧'.repeat(40) + 'é'.repeat(7);
    const parts = splitEscaped(text, 50);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(50);
      expect(loneSurrogate.test(p)).toBe(false);
    }
    expect(parts.join('')).toBe(text);
  });

  it('draws a hero card as a bold title and its text, with its buttons', () => {
    const r = render({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.hero',
          content: {
            title: 'Karim <DRH>',
            text: 'Bio',
            buttons: [{ type: 'imBack', title: 'Oui', value: 'yes' }],
          },
        },
      ],
    });
    expect(r).toEqual({
      kind: 'message',
      parts: [{ html: '<b>Karim &lt;DRH&gt;</b>\n\nBio', buttons: [{ title: 'Oui', value: 'yes' }] }],
    });
  });

  it('puts two short buttons on a row, a long one alone', () => {
    const rows = keyboardRows(['Oui', 'Non', 'Un choix nettement plus long', 'A'], (b) => b);
    expect(rows).toEqual([['Oui', 'Non'], ['Un choix nettement plus long'], ['A']]);
  });
});
