import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import { RootDialog } from '../dialogs/root.js';
import { onPersonWrite } from '../models/person.js';
import type { Config } from './config.js';
import { MongoStorage } from './db/mongo-storage.js';
import { ActiveTurns } from './engine/active-turns.js';
import { TandemAdapter } from './engine/adapter.js';
import { DialogConversation } from './engine/conversation.js';
import { Engine } from './engine/pipeline.js';
import { Proactive } from './engine/proactive.js';
import { PersonState } from './engine/state.js';
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

const announced = new WeakSet<Connection>();

/** Everything a channel needs to hand a turn over: the engine, on one connection. */
export function createBot(deps: { conn: Connection; config: Config; log: Logger; now?: () => number }): Bot {
  const adapter = new TandemAdapter();
  const i18n = createI18n();
  const services = createServices({ ...deps, i18n });
  const storage = new MongoStorage(deps.conn, deps.log);
  const conversation = new DialogConversation(storage, new RootDialog());
  const engine = new Engine({ ...deps, services, i18n, adapter, conversation });
  // A person changed outside their own turns (a mentor's answer, a job): their state log moves on,
  // so a process that keeps them (services/people.ts) runs their next turn again on a fresh read.
  // A turn of theirs running here saves a new revision anyway. Once per connection.
  if (!announced.has(deps.conn)) {
    announced.add(deps.conn);
    const active = new ActiveTurns(deps.conn);
    onPersonWrite(deps.conn, async (personId, phase, op) => {
      if (phase !== 'after' || !personId || op.startsWith('delete') || active.has(personId)) return;
      await storage.bump(PersonState.key(personId));
    });
  }
  const proactive = new Proactive(adapter, services.people);
  // Messages the bot starts go out through the outbox, to the person's channel or a staff channel.
  services.outbox.setSender({
    toPerson: (personId, activities) => proactive.send(personId, activities),
    toConversation: async (channel, ref, activities) => {
      await adapter.channel(channel).send(ref, activities);
    },
  });
  return { engine, i18n, adapter, services, proactive };
}
