import type { Activity, Attachment, CardAction } from 'botbuilder';

/** Telegram's limit on a message's text, counted after HTML parsing. */
export const MAX_MESSAGE = 4096;
/** Telegram's limit on a button's callback_data, in bytes. */
export const MAX_CALLBACK_DATA = 64;

/** One button as the channel will draw it: a choice the bot must recognize, or a link. */
export type RenderedButton = { title: string; value: unknown } | { title: string; url: string };

/** One Telegram message to send: HTML text, and the buttons under it (on the last part only). */
export interface RenderedMessage {
  html: string;
  buttons: RenderedButton[];
}

export type Rendered = { kind: 'typing' } | { kind: 'message'; parts: RenderedMessage[] };

/** Escapes user-supplied (and our own) text for parse_mode HTML: only &, < and > are special. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Splits text into parts of at most `max` characters as Telegram counts them (UTF-16 units, after
 * HTML parsing), at a paragraph, a line or a word boundary when there is one in the second half
 * of the part, else between two graphemes (never inside an emoji). Returns the parts escaped.
 */
export function splitEscaped(text: string, max = MAX_MESSAGE): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = cutPoint(rest, max);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  parts.push(rest);
  return parts.filter((p) => p.length > 0).map(escapeHtml);
}

const graphemes = new Intl.Segmenter('fr', { granularity: 'grapheme' });

/** Where to cut `text` so that the head fits in `max`: the best boundary found. */
function cutPoint(text: string, max: number): number {
  const head = text.slice(0, max + 1);
  for (const boundary of ['\n\n', '\n', ' ']) {
    const at = head.lastIndexOf(boundary, max - boundary.length);
    if (at >= max / 2) return at + boundary.length;
  }
  let fit = 0;
  for (const { index } of graphemes.segment(head)) {
    if (index > max) break;
    fit = index;
  }
  return fit > 0 ? fit : max;
}

/** How one outgoing Activity looks on Telegram. */
export function render(activity: Partial<Activity>): Rendered | undefined {
  if (activity.type === 'typing') return { kind: 'typing' };
  if (activity.type !== 'message') return undefined;
  const html: string[] = activity.text ? splitEscaped(activity.text) : [];
  const buttons: RenderedButton[] = [];
  for (const attachment of activity.attachments ?? []) {
    const card = renderCard(attachment);
    if (!card) continue;
    html.push(card.html);
    buttons.push(...card.buttons);
  }
  buttons.push(...(activity.suggestedActions?.actions ?? []).flatMap(toButton));
  if (html.length === 0 && buttons.length === 0) return undefined;
  if (html.length === 0) html.push('…');
  const parts: RenderedMessage[] = html.map((h) => ({ html: h, buttons: [] }));
  (parts[parts.length - 1] as RenderedMessage).buttons = buttons;
  return { kind: 'message', parts };
}

/** A hero card becomes its title in bold, its subtitle and text, and its buttons under them. */
function renderCard(card: Attachment): { html: string; buttons: RenderedButton[] } | undefined {
  if (card.contentType !== 'application/vnd.microsoft.card.hero') return undefined;
  const content = (card.content ?? {}) as {
    title?: string;
    subtitle?: string;
    text?: string;
    buttons?: CardAction[];
  };
  const lines = [
    content.title ? `<b>${escapeHtml(truncate(content.title, 256))}</b>` : '',
    content.subtitle ? `<i>${escapeHtml(truncate(content.subtitle, 256))}</i>` : '',
    // A card is short by design: cut its body rather than split it away from its buttons.
    content.text ? escapeHtml(truncate(content.text, CARD_TEXT)) : '',
  ].filter(Boolean);
  return {
    html: lines.join('\n\n'),
    buttons: (content.buttons ?? []).flatMap(toButton),
  };
}

/** Leaves room for the title and the subtitle (256 characters at most each). */
const CARD_TEXT = 1500;

/** At most `max` characters, cut between two graphemes. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, cutPoint(text, max - 1)).trimEnd()}…`;
}

function toButton(action: CardAction): RenderedButton[] {
  const title = String(action.title ?? action.text ?? action.value ?? '').trim();
  if (!title) return [];
  if (action.type === 'openUrl' && typeof action.value === 'string') return [{ title, url: action.value }];
  return [{ title, value: action.value ?? action.text ?? title }];
}

/** Rows of an inline keyboard: two short buttons side by side, a long one alone on its row. */
export function keyboardRows<T>(buttons: T[], titleOf: (b: T) => string): T[][] {
  const rows: T[][] = [];
  let row: T[] = [];
  for (const b of buttons) {
    const short = titleOf(b).length <= 16;
    if (!short) {
      if (row.length > 0) rows.push(row);
      rows.push([b]);
      row = [];
      continue;
    }
    row.push(b);
    if (row.length === 2) {
      rows.push(row);
      row = [];
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}
