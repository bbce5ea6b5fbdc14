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
export function createBot(deps: { conn: Connection; config: Config; log: Logger }): Bot {
  const adapter = new TandemAdapter();
  const services = createServices(deps.conn);
  const conversation = new DialogConversation(new MongoStorage(deps.conn), new RootDialog());
  const i18n = createI18n();
  const engine = new Engine({ ...deps, services, i18n, adapter, conversation });
  return { engine, i18n, adapter, services, proactive: new Proactive(adapter, services.people) };
}
