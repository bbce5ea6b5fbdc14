import { DirectLineClient } from './client.js';
import { pageLocale, strings } from './strings.js';
import { ChatView } from './view.js';

/**
 * Tandem's chat widget. On a page with <div id="tandem-chat"> it sits there; elsewhere it floats
 * at the bottom right. It talks to the server it was loaded from (Direct Line 3.0).
 */
(() => {
  const w = window as Window & { tandemChat?: boolean };
  if (w.tandemChat) return;
  w.tandemChat = true;
  const script = document.currentScript as HTMLScriptElement | null;
  const base = script?.src ? new URL(script.src).origin : location.origin;
  const OPEN = 'tandem.webchat.open';

  const boot = () => {
    const locale = pageLocale();
    const s = strings(locale);
    let client: DirectLineClient | undefined;
    const view = new ChatView(document.getElementById('tandem-chat'), s, () => client?.userId ?? '', {
      toggled: (open) => {
        // A conversation that was open stays open from page to page (without taking the focus).
        try {
          sessionStorage.setItem(OPEN, open ? '1' : '');
        } catch {}
        if (!open || client) return;
        client = new DirectLineClient(base, locale, {
          activities: (activities) => view.render(activities),
          status: (status) => view.setStatus(status),
          reset: () => view.reset(),
          handoff: (channels) => view.setHandoff(channels),
        });
        void client.start();
      },
      send: async (text, value) => {
        if (!client) throw new Error('not connected');
        await client.send(text, value);
      },
      handoff: (channel) => {
        if (!client) throw new Error('not connected');
        return client.handoff(channel);
      },
    });
    try {
      if (sessionStorage.getItem(OPEN) === '1') view.show(false);
    } catch {}
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
