import type { Connection } from 'mongoose';
import type { Server } from 'restify';
import type { Bot } from '../../bot/bot.js';
import type { Config } from '../../bot/config.js';
import type { InFlight } from '../../bot/lifecycle.js';
import type { Logger } from '../../bot/log.js';

/** What every channel is started with (see bot/app.ts). */
export interface ChannelDeps {
  server: Server;
  conn: Connection;
  bot: Bot;
  config: Config;
  log: Logger;
  inFlight: InFlight;
}
