/** The widget's UI strings: locales/<lng>/widget.json without its `page` part (the demo page's). */
export interface Strings {
  launcher: string;
  title: string;
  subtitle: string;
  close: string;
  log: string;
  input: string;
  placeholder: string;
  send: string;
  send_label: string;
  you: string;
  bot: string;
  typing: string;
  suggestions: string;
  chosen: string;
  new_tab: string;
  connecting: string;
  reconnecting: string;
  unavailable: string;
  send_failed: string;
  restarted: string;
  /** "Continuer sur Telegram": a one-time link to go on in Telegram. */
  handoff: string;
  handoff_open: string;
  handoff_note: string;
  handoff_not_started: string;
  handoff_failed: string;
}

/** Injected by the bundler (channels/webchat/widget.ts): the strings of every locale. */
declare const __TANDEM_STRINGS__: Record<string, Partial<Strings>>;

/** The page's language ('fr' unless the page says otherwise and we have it). */
export function pageLocale(): string {
  const lang = (document.documentElement.lang || 'fr').slice(0, 2).toLowerCase();
  return lang in __TANDEM_STRINGS__ ? lang : 'fr';
}

/** The strings of the page's language; a string missing there falls back to French. */
export function strings(locale: string): Strings {
  return { ...__TANDEM_STRINGS__.fr, ...__TANDEM_STRINGS__[locale] } as Strings;
}
