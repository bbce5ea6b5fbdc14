import { randomUUID } from 'node:crypto';
import { type Activity, TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import type { Connection } from 'mongoose';
import { mark } from '../../models/inbound-mark.js';
import type { Config } from '../config.js';
import { ConflictError, PartlySentError, UnreachableError } from '../errors.js';
import { type Locale, rememberingT, type TFunction, toLocale } from '../i18n.js';
import type { Logger } from '../log.js';
import { isProgramme } from '../reference/lists.js';
import type { Services } from '../services/index.js';
import type { TandemAdapter } from './adapter.js';
import { KeyedQueue } from './keyed-queue.js';
import { text } from './reply.js';
import { arrivalOf, attachTurn, type LinkOutcome, type Turn, turnKey } from './turn.js';

/** A step of the turn pipeline. It calls `next` to go on, or returns to stop the turn there. */
export type Middleware = (turn: Partial<Turn>, next: () => Promise<void>) => Promise<void>;

/** Runs the dialogs of one turn; the state it loads and saves is the caller's to retry. */
export interface Conversation {
  /** Loads the person's state afresh, runs the dialog stack, and saves the state (may throw ConflictError). */
  run(context: TurnContext): Promise<void>;
  /** The person was created by this turn: they have no state yet (spares reading it). */
  created?(personId: string): void;
}

export interface EngineDeps {
  conn: Connection;
  config: Config;
  log: Logger;
  services: Services;
  i18n: i18n;
  adapter: TandemAdapter;
  conversation: Conversation;
}

/** 'silent': processed, with nothing to say (an event a waiting dialog ignores, a message already applied). */
export type Outcome = 'processed' | 'silent' | 'duplicate';

const MAX_ATTEMPTS = 4;

/**
 * The turn pipeline, in this order:
 *  1. dedupe      a native message id is processed once (unique index; a redelivery is dropped
 *                 at step 3, where the mark's answer is awaited with the read of the person)
 *  2. serialize   one turn at a time per sender in this process; across processes, see 5
 *  3. identify    channel + user id -> Person (created on first contact)
 *  4. localize    the person's locale -> turn.t
 *     arrive      a `start` event: say what became of a link code, record a programme or campaign
 *  5. converse    global commands and the dialog stack (dialogs/root.ts); the person's state is
 *                 saved as a new revision: a turn that loses the race to another process is run
 *                 again on the fresh state, and only then are its replies sent
 * A failing turn answers the user politely in their language and logs the cause.
 */
export class Engine {
  private readonly queue = new KeyedQueue();
  private readonly steps: Middleware[];

  constructor(private readonly deps: EngineDeps) {
    this.steps = [this.dedupe, this.serialize, this.identify, this.localize, this.arrive, this.converse];
  }

  /**
   * Processes one inbound Activity from a channel. `recorded`: the channel has already recorded
   * the native id with a unique insert of its own (and dropped redeliveries), so step 1 is done.
   * `nativeId`: the message's identity when it is not the activity's id (a Direct Line client's
   * clientActivityID, kept when it retries a post); replies still answer the activity's id.
   */
  async process(
    activity: Partial<Activity>,
    opts: { recorded?: boolean; nativeId?: string } = {},
  ): Promise<Outcome> {
    let outcome: Outcome = 'processed';
    const { adapter, log, config, services } = this.deps;
    const channel = activity.channelId ?? '';
    const nativeId = opts.nativeId ?? activity.id ?? '';
    // A message without an id of its own still needs one for what the turn records once (its
    // consent records): its own, for this turn and its re-runs after a conflict.
    const key = turnKey(channel, nativeId || `~${randomUUID()}`);
    await adapter.runTurn(activity, async (context) => {
      const turn = attachTurn(context, {
        context,
        activity,
        key,
        keyed: nativeId !== '',
        recorded: opts.recorded === true,
        config,
        services,
        log: log.child({ channel, turn: activity.id }),
      });
      const run = async (i: number): Promise<void> => {
        const step = this.steps[i];
        if (step) await step(turn, () => run(i + 1));
      };
      try {
        await run(0);
        if (turn.said === false) outcome = 'silent';
      } catch (err) {
        if (err === DUPLICATE) {
          outcome = 'duplicate';
          return;
        }
        await this.fail(context, turn, err);
      }
    });
    return outcome;
  }

  /**
   * The mark is sent here, on arrival, and its answer awaited by `identify`, together with the
   * read of the person: one round trip to the database instead of two, in every turn. Nothing of
   * the turn happens before the answer; a redelivery waits its turn in `serialize` and costs a
   * read of the person (and of the identity, if this process has not seen it lately).
   */
  private readonly dedupe: Middleware = async (turn, next) => {
    if (!turn.activity?.id || turn.recorded) return next();
    const marked = mark(this.deps.conn, turn.key ?? '');
    // Awaited in `identify`; until then, a failure must not count as unhandled.
    marked.catch(() => {});
    turn.firstDelivery = marked;
    return next();
  };

  private readonly serialize: Middleware = (turn, next) =>
    this.queue.run(`${turn.activity?.channelId}|${turn.activity?.from?.id}`, next);

  private readonly identify: Middleware = async (turn, next) => {
    const { activity } = turn as Turn;
    const channel = this.deps.adapter.channel(activity.channelId ?? '');
    const userId = activity.from?.id ?? '';
    const { people } = this.deps.services;
    const ref = whereToWriteLater(activity);
    const code = arrivalOf(activity)?.link;
    // Read now unless a link code may move this identity to someone else first. After `serialize`:
    // no earlier turn from this sender in this process can still change it (the same person
    // writing at once from another channel may, as before: the state revision settles that).
    const lookup = code ? undefined : people.lookup(channel.id, userId);
    lookup?.catch(() => {});
    if (turn.firstDelivery && !(await turn.firstDelivery)) {
      turn.log?.info('redelivered message dropped');
      throw DUPLICATE;
    }
    if (code) turn.link = await this.redeem(code, channel.id, userId, ref);
    const { person, isNew } = await people.resolve(
      {
        channel: channel.id,
        userId,
        conversation: ref,
        defaultRole: channel.defaultRole,
        locale: toLocale(activity.locale),
      },
      await lookup,
    );
    turn.person = person;
    if (isNew) this.deps.conversation.created?.(person._id);
    turn.log = turn.log?.child({ person: person._id });
    return next();
  };

  /**
   * A one-time code moves this channel's identity to the person who asked for it elsewhere; the
   * turn then goes on as that person, at the step they were at. An identity that already has a
   * profile of its own is not taken over: the person is told, and nothing changes.
   */
  private async redeem(
    code: string,
    channel: string,
    userId: string,
    ref: Record<string, unknown>,
  ): Promise<LinkOutcome> {
    const { people, links } = this.deps.services;
    const current = await people.identity(channel, userId);
    const redeemed = await links.redeem(
      code,
      async (personId) =>
        !current || current.personId === personId || !(await people.hasData(current.personId)),
      async (personId) => {
        await people.link({ personId, channel, userId, conversation: ref });
      },
    );
    switch (redeemed.status) {
      case 'ok':
        return 'linked';
      case 'used':
        // Pressing "Start" again on a link this very chat already used is no error.
        return current?.personId === redeemed.personId ? 'already' : 'used';
      case 'refused':
        return 'conflict';
      default:
        return redeemed.status;
    }
  }

  private readonly arrive: Middleware = async (turn, next) => {
    const arrival = turn.activity ? arrivalOf(turn.activity) : undefined;
    if (!arrival) return next();
    const { context, t, person, log } = turn as Turn;
    if (turn.link) {
      log.info({ link: turn.link }, 'link code used');
      const firstName = typeof person.profile?.firstName === 'string' ? person.profile.firstName : '';
      const key = turn.link === 'linked' && firstName ? 'linked_named' : turn.link;
      if (turn.link !== 'already') await context.sendActivity(text(t(`common:link.${key}`, { firstName })));
    }
    if (arrival.invalid) log.info({ payload: arrival.invalid }, 'start payload ignored: not one we know');
    const programme = arrival.programme && isProgramme(arrival.programme) ? arrival.programme : undefined;
    if (arrival.programme && !programme)
      log.info({ programme: arrival.programme }, 'unknown programme ignored');
    // A campaign is a tag of a link (Telegram's payload is 64 characters at most): anything else,
    // from a client that posts its own `start` event, is not kept.
    const campaign =
      typeof arrival.campaign === 'string' && /^[\w.-]{1,64}$/.test(arrival.campaign)
        ? arrival.campaign
        : undefined;
    if (arrival.campaign !== undefined && !campaign) log.info('campaign ignored: not a short tag');
    if (programme || campaign) await this.deps.services.people.setOrigin(person._id, { programme, campaign });
    return next();
  };

  private readonly localize: Middleware = async (turn, next) => {
    turn.locale = toLocale(turn.person?.locale);
    turn.t = this.translator(turn.locale);
    return next();
  };

  private readonly converse: Middleware = async (turn) => {
    const { context } = turn as Turn;
    // What the turn said before the dialogs (a link code's outcome) stands when they run again,
    // or fail.
    turn.preface = this.deps.adapter.buffered(context).length;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.conversation.run(context);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw err;
        turn.log?.info({ attempt }, 'state changed by another process: running the turn again');
        this.deps.adapter.discard(context, turn.preface);
        const fresh = await this.deps.services.people.get(turn.person?._id ?? '');
        if (fresh) turn.person = fresh;
      }
    }
    const replies = [...this.deps.adapter.buffered(context)];
    turn.said = replies.length > 0;
    try {
      await this.deps.adapter.flush(context);
    } catch (err) {
      // The answers are saved; the person just cannot be written to (the channel has noted it).
      if (err instanceof UnreachableError) {
        turn.log?.info('replies not delivered: the person cannot be reached on this channel');
        return;
      }
      // The message is applied: "please try again" would have the person answer the next
      // question, which they never saw, with it. The replies not sent are sent by the outbox.
      const rest = replies.slice(err instanceof PartlySentError ? err.sent : 0);
      if (rest.length === 0) {
        // Every reply went; what failed came after them (recording a keyboard's messages).
        turn.log?.warn({ err }, 'replies sent, but the channel failed after them');
        return;
      }
      turn.log?.warn({ err, replies: rest.length }, 'replies not sent: handed to the outbox to retry');
      await this.deps.services.outbox.enqueue(
        `replies|${turn.key}`,
        {
          channel: context.activity.channelId ?? '',
          conversation: TurnContext.getConversationReference(context.activity),
        },
        rest,
      );
    }
  };

  private readonly translators = new Map<Locale, TFunction>();

  /** One translation function per locale, kept: caches keyed on it (list options) stay warm. */
  private translator(locale: Locale): TFunction {
    const known = this.translators.get(locale);
    if (known) return known;
    const t = rememberingT(this.deps.i18n.getFixedT(locale));
    this.translators.set(locale, t);
    return t;
  }

  private async fail(context: TurnContext, turn: Partial<Turn>, err: unknown): Promise<void> {
    turn.log?.error({ err }, 'turn failed');
    const { adapter } = this.deps;
    adapter.discard(context, turn.preface ?? 0);
    const t = turn.t ?? this.translator(toLocale(turn.person?.locale ?? context.activity.locale));
    try {
      await context.sendActivity(t('common:error.technical'));
      await adapter.flush(context);
    } catch (sendErr) {
      turn.log?.error({ err: sendErr }, 'could not tell the user about the failure');
    }
  }
}

const DUPLICATE = Symbol('duplicate');

/**
 * The reference kept with an identity, that messages sent later on their own (reminders,
 * proposals) go to: a plain copy of the turn's, without what says where this one message was (a
 * Slack thread, in `conversation.properties`), which only the turn's replies follow.
 */
function whereToWriteLater(activity: Partial<Activity>): Record<string, unknown> {
  const ref = JSON.parse(JSON.stringify(TurnContext.getConversationReference(activity)));
  if (ref.conversation) delete ref.conversation.properties;
  return ref;
}
