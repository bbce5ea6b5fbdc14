import type { types } from '@slack/bolt';
import type { Activity, Attachment, CardAction } from 'botbuilder';
import type { KeyboardButton } from '../shared/keyboards.js';

type ActionsBlock = types.ActionsBlock;
type Button = types.Button;
export type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;

/** Slack's limits: 3,000 characters in a section's text, 50 blocks a message, 25 buttons a block. */
const SECTION_MAX = 3000;
const BLOCKS_MAX = 50;
const BUTTONS_MAX = 25;
const BUTTON_TEXT_MAX = 75;
const NOTIFICATION_MAX = 3000;

/** Escapes text for mrkdwn: `&`, `<` and `>` are the only control characters (links, mentions). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Emoji as Slack delivers them (`:+1:`), read as the characters people see: 👍 is a "yes" to a
 * question, and `:+1:` read as text would be "1", the first choice.
 */
const EMOJI: Record<string, string> = {
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  ballot_box_with_check: '☑️',
  x: '❌',
  negative_squared_cross_mark: '❎',
  ok_hand: '👌',
  ok: '🆗',
};

/**
 * The text of a message a person typed, as Slack delivers it: entities decoded; links
 * `<http://x|label>`, `<mailto:…|label>` and `<tel:…|label>` reduced to what the person wrote;
 * mentions (`<@U…>`, `<#C…|name>`, `<!here>`) to plain words, never stored as markup that would
 * show raw elsewhere; the emoji codes that answer a question (👍, ✅, ❌…) to emoji, the others
 * left as typed (a text like "lundi:mardi:" is no emoji).
 */
export function readSlackText(text: string): string {
  return text
    .replace(/<(?:https?:|mailto:|tel:)[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(?:tel:)([^>]*)>/g, '$1')
    .replace(/<((?:https?:|mailto:)[^>]*)>/g, '$1')
    .replace(/<([@#!])[^|>]*\|([^>]*)>/g, (_, sigil: string, label: string) =>
      sigil === '!' || label.startsWith(sigil) ? label : `${sigil}${label}`,
    )
    .replace(/<#[^>]*>/g, '#')
    .replace(/<@[^>]*>/g, '@')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<![^>]*>/g, '')
    .replace(
      /:([a-z+-][a-z0-9_+-]*):(?::skin-tone-\d:)?/g,
      (code: string, name: string) => EMOJI[name] ?? code,
    )
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What one send becomes: Slack messages (blocks and a plain notification text), buttons last. */
export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
  /** The choices of this message's buttons, in order; each button's `value` is its index `n`. */
  choices: KeyboardButton[];
}

type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'buttons'; buttons: Array<KeyboardButton | { title: string; url: string }> };

/**
 * Renders a turn's replies as few messages as possible (one, nearly always): Slack allows about
 * one message a second in a conversation, and one message reads better than three. Text becomes
 * mrkdwn sections (escaped), a hero card a bold title with its text, quick replies and card
 * buttons an actions block. Choice buttons are numbered across the messages; `withKey` then gives
 * them the keyboard's key.
 */
export function render(activities: Partial<Activity>[]): RenderedMessage[] {
  const pieces: Piece[] = activities.flatMap(toPieces);
  const messages: RenderedMessage[] = [];
  let current: RenderedMessage = { text: '', blocks: [], choices: [] };
  let choices = 0;
  let links = 0;
  let blocks = 0;
  const push = (block: KnownBlock, plain: string, buttons: KeyboardButton[] = []) => {
    if (current.blocks.length >= BLOCKS_MAX) {
      messages.push(current);
      current = { text: '', blocks: [], choices: [] };
    }
    current.blocks.push(block);
    current.choices.push(...buttons);
    // The notification text: the start of the message is enough (Slack caps it at 40,000).
    if (plain && current.text.length < NOTIFICATION_MAX) {
      current.text = (current.text ? `${current.text}\n\n${plain}` : plain).slice(0, NOTIFICATION_MAX);
    }
  };
  for (const piece of pieces) {
    if (piece.kind === 'text') {
      for (const chunk of chunks(escapeMrkdwn(piece.text), SECTION_MAX)) {
        const section: SectionBlock = {
          type: 'section',
          text: { type: 'mrkdwn', text: linkify(chunk), verbatim: true },
        };
        push(section, chunk);
      }
      continue;
    }
    for (let i = 0; i < piece.buttons.length; i += BUTTONS_MAX) {
      const row = piece.buttons.slice(i, i + BUTTONS_MAX);
      const taken: KeyboardButton[] = [];
      const elements: Button[] = row.map((b) => {
        const text = { type: 'plain_text' as const, text: truncate(b.title, BUTTON_TEXT_MAX), emoji: true };
        if ('url' in b) return { type: 'button', text, url: b.url, action_id: `tandem_link_${links++}` };
        taken.push(b);
        const value = String(choices++);
        return { type: 'button', text, value, action_id: `tandem_${value}` };
      });
      push({ type: 'actions', block_id: `choices_${blocks++}`, elements } satisfies ActionsBlock, '', taken);
    }
  }
  if (current.blocks.length > 0) messages.push(current);
  return messages;
}

/**
 * Our own texts carry links (the privacy notice): `verbatim` sections do not auto-link, so URLs
 * are marked as links explicitly. Applied after escaping, so nothing typed can open a link of
 * another kind (a mention, a channel).
 */
function linkify(escaped: string): string {
  return escaped.replace(/https?:\/\/[^\s<>|]*[^\s<>|.,;:!?)»]/g, (url) => `<${url}>`);
}

function toPieces(activity: Partial<Activity>): Piece[] {
  if (activity.type !== 'message') return [];
  const pieces: Piece[] = [];
  if (activity.text) pieces.push({ kind: 'text', text: activity.text });
  for (const card of activity.attachments ?? []) pieces.push(...cardPieces(card));
  const quick = (activity.suggestedActions?.actions ?? []).flatMap(toButton);
  if (quick.length > 0) pieces.push({ kind: 'buttons', buttons: quick });
  return pieces;
}

function cardPieces(card: Attachment): Piece[] {
  if (card.contentType !== 'application/vnd.microsoft.card.hero') return [];
  const c = (card.content ?? {}) as {
    title?: string;
    subtitle?: string;
    text?: string;
    buttons?: CardAction[];
  };
  const lines = [c.title ? `*${c.title}*` : '', c.subtitle ? `_${c.subtitle}_` : '', c.text ?? ''].filter(
    Boolean,
  );
  const buttons = (c.buttons ?? []).flatMap(toButton);
  return [
    ...(lines.length ? [{ kind: 'text' as const, text: lines.join('\n') }] : []),
    ...(buttons.length ? [{ kind: 'buttons' as const, buttons }] : []),
  ];
}

function toButton(action: CardAction): Array<KeyboardButton | { title: string; url: string }> {
  const title = String(action.title ?? action.text ?? action.value ?? '').trim();
  if (!title) return [];
  if (action.type === 'openUrl' && typeof action.value === 'string') return [{ title, url: action.value }];
  return [{ title, value: action.value ?? action.text ?? title }];
}

/** The blocks with each choice button's value `n` made the reference `<key>:<n>`. */
export function withKey(blocks: KnownBlock[], ref: (n: number) => string): KnownBlock[] {
  return blocks.map((block) =>
    block.type !== 'actions'
      ? block
      : {
          ...block,
          elements: block.elements.map((e) =>
            e.type === 'button' && e.value !== undefined ? { ...e, value: ref(Number(e.value)) } : e,
          ),
        },
  );
}

/** Cuts escaped text at paragraph, line or word boundaries, never inside an entity. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = -1;
    for (const boundary of ['\n\n', '\n', ' ']) {
      const at = rest.lastIndexOf(boundary, max - boundary.length);
      if (at >= max / 2) {
        cut = at + boundary.length;
        break;
      }
    }
    if (cut < 0) {
      cut = max;
      const amp = rest.lastIndexOf('&', cut);
      if (amp > cut - 5) cut = amp;
    }
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The blocks of a message once its question is answered: the buttons give way to the choice. */
export function answeredBlocks(blocks: KnownBlock[], choice: string): KnownBlock[] {
  return [
    ...blocks.filter((b) => b.type !== 'actions'),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `✓ ${escapeMrkdwn(choice)}`, verbatim: true }] },
  ];
}
