import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import { RootDialog } from '../dialogs/root.js';
import type { Config } from './config.js';
import { MongoStorage } from './db/mongo-storage.js';
import { TandemAdapter } from './engine/adapter.js';
import { DialogConversation } from './engine/conversation.js';
import { Engine } from './engine/pipeline.js';
import { Proactive } from './engine/proactive.js';
import { createI18n } from './i18n.js';
import type { Logger } from './log.js';
import { createServices, type Services } from './services/index.js';

export interface Bot {
  engine: Engine;
  i18n: i18n;
  proactive: Proactive;
  adapter: TandemAdapter;
  services: Services;
}

/** Everything a channel needs to hand a turn over: the engine, on one connection. */
export function createBot(deps: { conn: Connection; config: Config; log: Logger; now?: () => number }): Bot {
  const adapter = new TandemAdapter();
  const i18n = createI18n();
  const services = createServices({ ...deps, i18n });
  const conversation = new DialogConversation(new MongoStorage(deps.conn, deps.log), new RootDialog());
  const engine = new Engine({ ...deps, services, i18n, adapter, conversation });
  const proactive = new Proactive(adapter, services.people);
  // Messages the bot starts go out through the outbox, to the person's channel or a staff channel.
  services.outbox.setSender({
    toPerson: (personId, activities, resume) => proactive.send(personId, activities, resume),
    toConversation: async (channel, ref, activities) => {
      await adapter.channel(channel).send(ref, activities);
    },
  });
  return { engine, i18n, adapter, services, proactive };
}
