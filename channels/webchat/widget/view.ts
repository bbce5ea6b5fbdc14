import type { Activity, Attachment, CardAction, Handoff, Status } from './client.js';
import type { Strings } from './strings.js';
import { CSS } from './styles.js';

const HERO = 'application/vnd.microsoft.card.hero';
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
const TYPING_MS = 6000;

export interface ViewEvents {
  /** The panel was opened or closed. */
  toggled(open: boolean): void;
  /** The user sends a typed text, or presses a button (its title and value). */
  send(text: string, value?: unknown): Promise<void>;
  /** A one-time link to go on in `channel`; throws (with an HTTP `status`) when there is none. */
  handoff(channel: string): Promise<Handoff>;
}

/** A set of buttons answering one message: disabled once answered. */
interface Choices {
  buttons: Array<{ el: HTMLButtonElement; value: unknown }>;
  /** A standalone card's (a proposal, a request): answered only by a press of its own buttons. */
  standalone: boolean;
}

/** What the bot marks a standalone card with (bot/engine/reply.ts, standaloneCard). */
const STANDALONE = 'standalone';

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  // Strings become text nodes: nothing the bot or the user writes is ever parsed as HTML.
  node.append(...children);
  return node;
}

/** Text with its web addresses as links; everything else stays text. */
function linkified(text: string, s: Strings): Array<Node | string> {
  const out: Array<Node | string> = [];
  let last = 0;
  const re = new RegExp(URL_IN_TEXT.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const index = m.index;
    out.push(text.slice(last, index));
    out.push(
      el(
        'a',
        { href: m[0], target: '_blank', rel: 'noopener noreferrer' },
        m[0],
        el('span', { class: 'tandem-sr' }, ` ${s.new_tab}`),
      ),
    );
    last = index + m[0].length;
  }
  out.push(text.slice(last));
  return out.filter((n) => n !== '');
}

/** A speech bubble, decorative (the launcher's text names it). */
function bubbleIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
  svg.append(path);
  return svg;
}

interface HandoffBar {
  box: HTMLElement;
  /** Shown or hidden; either way back to the button, without a link or a note. */
  set(shown: boolean): void;
}

/**
 * "Continuer sur Telegram": a button; the one-time link it gives replaces it (and takes the focus)
 * until the link expires. The note under it (a polite live region) says what the link is, or why
 * there is none.
 */
function handoffBar(s: Strings, id: string, ask: (channel: string) => Promise<Handoff>): HandoffBar {
  const button = el('button', { type: 'button', class: 'tandem-handoff-btn' }, s.handoff);
  const note = el('p', { class: 'tandem-handoff-note', id, role: 'status' });
  const box = el('div', { class: 'tandem-handoff' }, button, note);
  box.hidden = true;
  let link: HTMLAnchorElement | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  const say = (text: string, error = false) => {
    note.textContent = text;
    note.classList.toggle('tandem-handoff-error', error);
  };
  const drop = () => {
    clearTimeout(timer);
    link?.remove();
    link = undefined;
    button.hidden = false;
  };
  const go = async () => {
    if (busy) return;
    busy = true;
    // Emptied first, so that the same message said again is announced again.
    say('');
    try {
      const { url, expiresIn } = await ask('telegram');
      drop();
      const a = el(
        'a',
        {
          href: url,
          target: '_blank',
          rel: 'noopener noreferrer',
          class: 'tandem-handoff-link',
          'aria-describedby': id,
        },
        s.handoff_open,
        el('span', { class: 'tandem-sr' }, ` ${s.new_tab}`),
      );
      link = a;
      button.hidden = true;
      button.before(a);
      say(s.handoff_note);
      a.focus();
      timer = setTimeout(() => {
        const focused = document.activeElement === a;
        drop();
        say('');
        if (focused) button.focus();
      }, expiresIn * 1000);
    } catch (err) {
      say((err as { status?: number }).status === 409 ? s.handoff_not_started : s.handoff_failed, true);
    } finally {
      busy = false;
    }
  };
  button.addEventListener('click', () => void go());
  return {
    box,
    set(shown) {
      box.hidden = !shown;
      drop();
      say('');
    },
  };
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The widget's DOM: the launcher, the panel, the message log, the form. */
export class ChatView {
  private readonly root: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLElement;
  private readonly typing: HTMLElement;
  private readonly status: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly form: HTMLFormElement;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly handoff: HandoffBar;
  /** Answerable button sets of questions, oldest first; a message of the user answers them all. */
  private pending: Choices[] = [];
  /** The button sets of standalone cards, oldest first, answered or not. */
  private cards: Choices[] = [];

  constructor(
    container: HTMLElement | null,
    private readonly s: Strings,
    private readonly userId: () => string,
    private readonly events: ViewEvents,
  ) {
    if (!document.getElementById('tandem-style')) {
      document.head.append(el('style', { id: 'tandem-style' }, CSS));
    }
    this.root = el('div', { class: container ? 'tandem' : 'tandem tandem-float' });
    const id = `tandem-panel-${Math.random().toString(36).slice(2, 8)}`;
    this.launcher = el('button', { type: 'button', class: 'tandem-launcher', 'aria-expanded': 'false' });
    this.launcher.setAttribute('aria-controls', id);
    this.launcher.append(bubbleIcon(), el('span', {}, s.launcher));
    this.launcher.addEventListener('click', () => this.show(true));

    const close = el('button', { type: 'button', class: 'tandem-close', 'aria-label': s.close }, '×');
    close.addEventListener('click', () => this.hide());
    this.log = el('div', {
      class: 'tandem-log',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': s.log,
      tabindex: '0',
    });
    this.typing = el(
      'div',
      { class: 'tandem-typing' },
      el('span', { class: 'tandem-dots', 'aria-hidden': 'true' }, el('span'), el('span'), el('span')),
      s.typing,
    );
    this.typing.hidden = true;
    this.status = el('p', { class: 'tandem-status', role: 'status' });
    this.input = el('input', {
      type: 'text',
      class: 'tandem-input',
      'aria-label': s.input,
      placeholder: s.placeholder,
      autocomplete: 'off',
      maxlength: '2000',
      enterkeyhint: 'send',
    });
    const send = el('button', { type: 'submit', class: 'tandem-send', 'aria-label': s.send_label }, s.send);
    this.form = el('form', { class: 'tandem-form' }, this.input, send);
    this.handoff = handoffBar(s, `${id}-handoff`, (channel) => this.events.handoff(channel));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.panel = el(
      'section',
      { class: 'tandem-panel', id, 'aria-labelledby': `${id}-title` },
      el(
        'div',
        { class: 'tandem-head' },
        el('div', {}, el('h2', { id: `${id}-title` }, s.title), el('p', {}, s.subtitle)),
        close,
      ),
      this.log,
      this.typing,
      this.status,
      this.handoff.box,
      this.form,
    );
    this.panel.hidden = true;
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !container) this.hide();
    });
    this.root.append(this.launcher, this.panel);
    (container ?? document.body).append(this.root);
  }

  /** Opens the panel; focus goes to the text field unless the page just loaded. */
  show(focus: boolean): void {
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.scrollDown(false);
    if (focus) this.input.focus();
    this.events.toggled(true);
  }

  hide(): void {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
    this.events.toggled(false);
  }

  setStatus(status: Status): void {
    const text: Record<Status, string> = {
      connecting: this.s.connecting,
      online: '',
      reconnecting: this.s.reconnecting,
      unavailable: this.s.unavailable,
    };
    // Busy while a reloaded page's history comes back, so that it is not read out message by message.
    if (status === 'connecting') this.log.setAttribute('aria-busy', 'true');
    else if (status !== 'online') this.log.setAttribute('aria-busy', 'false');
    this.status.textContent = text[status];
  }

  /** A new conversation replaces the old one: its messages go. */
  reset(): void {
    this.log.textContent = '';
    this.log.append(el('p', { class: 'tandem-note' }, this.s.restarted));
    this.pending = [];
    this.cards = [];
  }

  /** Shows "Continuer sur Telegram" when the person can go on there; a link given before goes. */
  setHandoff(channels: string[]): void {
    this.handoff.set(channels.includes('telegram'));
  }

  /** A note of the widget itself (not from the bot), shown in the status line. */
  say(text: string): void {
    this.status.textContent = text;
  }

  render(activities: Activity[]): void {
    let added = false;
    for (const [i, a] of activities.entries()) {
      if (a.type === 'typing' && a.from?.id !== this.userId()) {
        // Not an old one from the history of a reloaded page (a minute of leeway for clocks).
        const later = activities.slice(i + 1).some((b) => b.type === 'message');
        const age = a.timestamp ? Date.now() - Date.parse(a.timestamp) : 0;
        if (!later && age < 60_000) this.showTyping();
        continue;
      }
      if (a.type !== 'message') continue;
      const mine = a.from?.id === this.userId();
      if (mine) this.answered(a.value);
      else this.hideTyping();
      this.log.append(this.message(a, mine));
      added = true;
    }
    this.log.setAttribute('aria-busy', 'false');
    if (added) this.scrollDown(true);
  }

  private message(a: Activity, mine: boolean): HTMLElement {
    const item = el('div', { class: `tandem-msg ${mine ? 'tandem-user' : 'tandem-bot'}` });
    if (a.id) item.dataset.id = a.id;
    const who = el('span', { class: 'tandem-sr' }, `${mine ? this.s.you : this.s.bot} `);
    if (a.text) item.append(el('div', { class: 'tandem-bubble' }, who, ...linkified(a.text, this.s)));
    else item.append(who);
    const standalone = a.channelData?.tandem === STANDALONE;
    for (const att of a.attachments ?? []) {
      if (att.contentType === HERO && att.content) item.append(this.card(att, standalone));
    }
    const actions = a.suggestedActions?.actions ?? [];
    if (!mine && actions.length > 0) {
      const group = el('div', { class: 'tandem-actions', role: 'group', 'aria-label': this.s.suggestions });
      this.choices(actions, group);
      item.append(group);
    }
    return item;
  }

  private card(att: Attachment, standalone: boolean): HTMLElement {
    const c = att.content ?? {};
    const card = el('div', { class: 'tandem-card' });
    for (const img of c.images ?? []) {
      if (img.url && /^https:\/\//.test(img.url))
        card.append(el('img', { src: img.url, alt: img.alt ?? '' }));
    }
    if (c.title) card.append(el('h3', {}, c.title));
    if (c.subtitle) card.append(el('p', { class: 'tandem-sub' }, c.subtitle));
    if (c.text) card.append(el('p', {}, ...linkified(c.text, this.s)));
    const buttons = c.buttons ?? [];
    if (buttons.length > 0) {
      const group = el('div', { class: 'tandem-actions', role: 'group' });
      if (c.title) group.setAttribute('aria-label', c.title);
      this.choices(
        buttons.filter((b) => b.type !== 'openUrl'),
        group,
        standalone,
      );
      for (const b of buttons.filter((b) => b.type === 'openUrl')) {
        const href = typeof b.value === 'string' && /^(https?:|mailto:)/.test(b.value) ? b.value : undefined;
        if (!href) continue;
        group.append(
          el(
            'a',
            { href, target: '_blank', rel: 'noopener noreferrer', class: 'tandem-action' },
            b.title ?? href,
            el('span', { class: 'tandem-sr' }, ` ${this.s.new_tab}`),
          ),
        );
      }
      card.append(group);
    }
    return card;
  }

  /** Real buttons: a press posts the title (and value), then the set is disabled. */
  private choices(actions: CardAction[], group: HTMLElement, standalone = false): void {
    if (actions.length === 0) return;
    const set: Choices = { buttons: [], standalone };
    for (const action of actions) {
      const title = action.title ?? action.text ?? String(action.value ?? '');
      const button = el('button', { type: 'button', class: 'tandem-action' }, title);
      // What a press posts: its title and value (an imBack says its value instead).
      const imBack = action.type === 'imBack' && typeof action.value === 'string';
      const text = imBack ? String(action.value) : title;
      const value = imBack ? undefined : action.value;
      button.addEventListener('click', () => void this.press(set, button, text, value));
      set.buttons.push({ el: button, value });
      group.append(button);
    }
    (standalone ? this.cards : this.pending).push(set);
  }

  private async press(set: Choices, button: HTMLButtonElement, text: string, value: unknown): Promise<void> {
    this.disable(set, button);
    this.input.focus();
    this.showTyping();
    try {
      await this.events.send(text, value);
    } catch {
      this.hideTyping();
      this.enable(set);
      this.say(this.s.send_failed);
    }
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.showTyping();
    try {
      await this.events.send(text);
      if (this.status.textContent === this.s.send_failed) this.say('');
    } catch {
      this.hideTyping();
      if (!this.input.value) this.input.value = text;
      this.say(this.s.send_failed);
    }
  }

  /**
   * A message of the user answers every question's set shown so far, unless it came from a
   * standalone card's button: then it answers that card alone. The button it came from is marked.
   */
  private answered(value: unknown): void {
    const card = this.pressed(this.cards, value);
    if (card) {
      this.disable(card.set, card.el);
      return;
    }
    const hit = this.pressed(this.pending, value);
    if (hit) this.disable(hit.set, hit.el);
    for (const set of this.pending) this.disable(set);
    this.pending = [];
  }

  /** The latest of `sets` with a button that posts `value`, and that button. */
  private pressed(sets: Choices[], value: unknown): { set: Choices; el: HTMLButtonElement } | undefined {
    if (value === undefined) return undefined;
    for (const set of [...sets].reverse()) {
      const hit = set.buttons.find((b) => b.value !== undefined && sameValue(b.value, value));
      if (hit) return { set, el: hit.el };
    }
    return undefined;
  }

  private disable(set: Choices, chosen?: HTMLButtonElement): void {
    for (const b of set.buttons) {
      b.el.disabled = true;
      if (b.el === chosen && !b.el.classList.contains('tandem-chosen')) {
        b.el.classList.add('tandem-chosen');
        b.el.append(el('span', { class: 'tandem-sr' }, ` ${this.s.chosen}`));
      }
    }
    this.pending = this.pending.filter((p) => p !== set);
  }

  private enable(set: Choices): void {
    for (const b of set.buttons) {
      b.el.disabled = false;
      b.el.classList.remove('tandem-chosen');
      b.el.querySelector('.tandem-sr')?.remove();
    }
    if (!set.standalone && !this.pending.includes(set)) this.pending.push(set);
  }

  private showTyping(): void {
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_MS);
  }

  private hideTyping(): void {
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  }

  private scrollDown(smooth: boolean): void {
    const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.log.scrollTo({ top: this.log.scrollHeight, behavior: smooth && !still ? 'smooth' : 'auto' });
  }
}
