import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import restify, { type Request, type Response, type Server } from 'restify';
import type { Config } from '../../bot/config.js';
import { sameSecret } from '../../bot/http/body.js';
import type { Logger } from '../../bot/log.js';
import { PolledConversations } from './awaiting.js';
import { bearer, fail, originAllowed, RateLimiter, wsBase } from './http.js';
import type { WebchatStore } from './store.js';
import type { TokenClaims, TokenSigner } from './tokens.js';
import { isUserTurn, type WebchatTurns } from './turns.js';

export interface DirectLineDeps {
  config: Config;
  log: Logger;
  store: WebchatStore;
  signer: TokenSigner;
  turns: WebchatTurns;
}

const PREFIX = '/v3/directline';
const MAX_TEXT = 20_000;
/** What an activity may carry beside its text (a button's value, attachments): characters of JSON. */
const MAX_EXTRA = 8 * 1024;
/** An upload's body, read whole (its files are then dropped: Tandem takes none): bytes at most. */
const MAX_UPLOAD = 4 * 1024 * 1024;
const USER_ID = /^[\w.:@-]{1,64}$/;
/**
 * Posts per conversation in a window: three a second, more than anyone types or clicks, so that a
 * script cannot fill a transcript and a person's queue of turns (each post is stored and runs a turn).
 */
const POSTS_PER_WINDOW = 30;
const POSTS_WINDOW_S = 10;

type Auth = { kind: 'secret' } | { kind: 'token'; claims: TokenClaims };

export function newUserId(): string {
  return `dl_${randomBytes(9).toString('base64url')}`;
}

/**
 * A self-hosted endpoint of the Direct Line 3.0 protocol, so that any Direct Line client (the
 * official botframework-directlinejs, Bot Framework Web Chat, our widget) can talk to Tandem.
 */
export function mountDirectLine(server: Server, deps: DirectLineDeps): void {
  const { config, store, signer } = deps;
  const polled = new PolledConversations({ store, turns: deps.turns, log: deps.log });
  const posts = new RateLimiter(POSTS_PER_WINDOW, POSTS_WINDOW_S * 1000);
  const json = restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: true });

  const authenticate = (req: Request, res: Response): Auth | undefined => {
    if (!originAllowed(req.headers.origin, config.webchat.origins)) {
      fail(res, 403, 'BadOrigin', 'This origin may not use the web chat.');
      return undefined;
    }
    const credential = bearer(req);
    // A token first: it is what every post and poll carries (a known one costs a map lookup); the
    // secret, compared in constant time (two HMACs), is what a backend sends to start.
    const claims = credential ? signer.verify(credential) : undefined;
    if (!claims && credential && sameSecret(credential, config.webchat.secret)) return { kind: 'secret' };
    if (!claims) {
      fail(res, 403, 'TokenExpired', 'Missing, invalid or expired token.');
      return undefined;
    }
    return { kind: 'token', claims };
  };

  /** The auth for a conversation in the URL: a secret, or a token bound to that conversation. */
  const forConversation = (req: Request, res: Response): Auth | undefined => {
    const auth = authenticate(req, res);
    if (auth?.kind === 'token' && auth.claims.conversationId !== req.params.id) {
      fail(res, 403, 'BadArgument', 'This token is for another conversation.');
      return undefined;
    }
    return auth;
  };

  /** A conversation's start or reconnection; `claims`: those of a token the client already holds. */
  const session = (
    req: Request,
    conversationId: string,
    token: string,
    claims?: TokenClaims,
    watermark?: string,
  ) => {
    const query = new URLSearchParams({ t: token });
    if (watermark) query.set('watermark', watermark);
    return {
      conversationId,
      token,
      expires_in: claims ? signer.secondsLeft(claims) : signer.ttl,
      streamUrl: `${wsBase(req)}${PREFIX}/conversations/${conversationId}/stream?${query}`,
    };
  };

  server.post(`${PREFIX}/tokens/generate`, json, async (req: Request, res: Response) => {
    const credential = bearer(req);
    if (!credential || !sameSecret(credential, config.webchat.secret)) {
      return fail(res, 403, 'BadArgument', 'A valid secret is required to generate a token.');
    }
    const asked = (req.body as { user?: { id?: unknown } } | undefined)?.user?.id;
    const userId = typeof asked === 'string' && USER_ID.test(asked) ? asked : newUserId();
    const conversationId = await store.createConversation(userId);
    res.json(200, { conversationId, token: signer.issue(conversationId, userId), expires_in: signer.ttl });
  });

  server.post(`${PREFIX}/tokens/refresh`, async (req: Request, res: Response) => {
    const auth = authenticate(req, res);
    if (!auth) return;
    if (auth.kind !== 'token') return fail(res, 403, 'BadArgument', 'Only a token can be refreshed.');
    const { conversationId, userId } = auth.claims;
    res.json(200, { conversationId, token: signer.issue(conversationId, userId), expires_in: signer.ttl });
  });

  server.post(`${PREFIX}/conversations`, async (req: Request, res: Response) => {
    const auth = authenticate(req, res);
    if (!auth) return;
    if (auth.kind === 'secret') {
      const userId = newUserId();
      const conversationId = await store.createConversation(userId);
      res.json(201, session(req, conversationId, signer.issue(conversationId, userId)));
      return;
    }
    const { conversationId } = auth.claims;
    if (!(await store.conversation(conversationId)))
      return fail(res, 404, 'BadArgument', 'Unknown conversation.');
    res.json(201, session(req, conversationId, bearer(req) ?? '', auth.claims));
  });

  server.get(`${PREFIX}/conversations/:id`, async (req: Request, res: Response) => {
    const auth = forConversation(req, res);
    if (!auth) return;
    const conv = await store.conversation(req.params.id);
    if (!conv) return fail(res, 404, 'BadArgument', 'Unknown conversation.');
    // A token keeps its own time; the secret (a backend) gets a token for the conversation.
    const [token, claims] =
      auth.kind === 'token'
        ? [bearer(req) ?? '', auth.claims]
        : [signer.issue(conv._id, conv.userId), undefined];
    res.json(200, session(req, conv._id, token, claims, req.query?.watermark));
  });

  server.get(`${PREFIX}/conversations/:id/activities`, async (req: Request, res: Response) => {
    if (!forConversation(req, res)) return;
    const asked = Number.parseInt(String(req.query?.watermark ?? '0'), 10);
    const watermark = Number.isFinite(asked) ? asked : 0;
    const set = await store.after(req.params.id, watermark);
    res.json(200, set);
    // A client that polls instead of holding a socket: its lost messages are looked for too.
    polled.polled(req.params.id, watermark, set.activities);
  });

  server.post(`${PREFIX}/conversations/:id/activities`, json, async (req: Request, res: Response) => {
    const auth = forConversation(req, res);
    if (!auth) return;
    if (!posts.take(req.params.id)) {
      res.header('Retry-After', String(POSTS_WINDOW_S));
      return fail(res, 429, 'TooManyRequests', 'Too many messages at once; try again in a few seconds.');
    }
    const conv = await store.conversation(req.params.id);
    if (!conv) return fail(res, 404, 'BadArgument', 'Unknown conversation.');
    const body = (req.body ?? {}) as Partial<Activity>;
    if (typeof body.type !== 'string') return fail(res, 400, 'MissingProperty', 'An activity needs a type.');
    if (body.text !== undefined && typeof body.text !== 'string') {
      return fail(res, 400, 'BadArgument', 'text must be a string.');
    }
    // Stored as sent and sent to every socket of the conversation: bounded.
    const extra = JSON.stringify([body.value, body.attachments, body.name, body.locale]) ?? '';
    if (extra.length > MAX_EXTRA) {
      return fail(res, 400, 'BadArgument', `value and attachments: ${MAX_EXTRA} characters of JSON at most.`);
    }
    const clientActivityId = (body.channelData as { clientActivityID?: unknown } | undefined)
      ?.clientActivityID;
    await post(res, conv, {
      type: body.type,
      text: body.text?.slice(0, MAX_TEXT),
      value: body.value,
      name: body.name,
      attachments: body.attachments,
      locale: body.locale,
      channelData:
        typeof clientActivityId === 'string'
          ? { clientActivityID: clientActivityId.slice(0, 100) }
          : undefined,
      fromName: body.from?.name,
    });
  });

  /**
   * Direct Line's upload (Web Chat's paperclip): a multipart body of the activity ('activity', JSON)
   * and its files. Tandem takes no files: their contents are dropped and the activity is posted
   * with attachments that only name them, so that the person is answered as for any attachment
   * (the question again, in their language) and their client sees its message echoed (with its
   * clientActivityID), rather than an error.
   */
  server.post(`${PREFIX}/conversations/:id/upload`, async (req: Request, res: Response) => {
    const auth = forConversation(req, res);
    if (!auth) return;
    const tooLarge = () => fail(res, 413, 'BadArgument', `An upload of ${MAX_UPLOAD} bytes at most.`);
    if (Number(req.headers['content-length'] ?? 0) > MAX_UPLOAD) return tooLarge();
    if (!posts.take(req.params.id)) {
      res.header('Retry-After', String(POSTS_WINDOW_S));
      return fail(res, 429, 'TooManyRequests', 'Too many messages at once; try again in a few seconds.');
    }
    const conv = await store.conversation(req.params.id);
    if (!conv) return fail(res, 404, 'BadArgument', 'Unknown conversation.');
    const body = await bodyOf(req, MAX_UPLOAD);
    if (!body) return tooLarge();
    const upload = await parseUpload(body, req.headers['content-type']);
    if (!upload)
      return fail(res, 400, 'BadArgument', 'A multipart body with an activity and files is expected.');
    const { activity, files } = upload;
    const clientActivityId = (activity.channelData as { clientActivityID?: unknown } | undefined)
      ?.clientActivityID;
    await post(res, conv, {
      type: 'message',
      text: typeof activity.text === 'string' ? activity.text.slice(0, MAX_TEXT) : undefined,
      locale: typeof activity.locale === 'string' ? activity.locale.slice(0, 20) : undefined,
      attachments: files.slice(0, 10),
      channelData:
        typeof clientActivityId === 'string'
          ? { clientActivityID: clientActivityId.slice(0, 100) }
          : undefined,
      fromName: activity.from?.name,
    });
  });

  /** Stores a posted activity of the conversation's user, answers with its id, then runs its turn. */
  const post = async (
    res: Response,
    conv: { _id: string; userId: string },
    sent: Partial<Activity> & { fromName?: unknown },
  ) => {
    const { fromName, ...fields } = sent;
    const {
      activities: [activity = {}],
    } = await store.append(conv._id, [
      {
        ...fields,
        channelId: 'directline',
        // The user is the token's, whatever the body says, and is the conversation's 'user'
        // (Direct Line's roles: Web Chat shows a message on the user's side by it).
        from: {
          id: conv.userId,
          name: typeof fromName === 'string' ? fromName.slice(0, 64) : '',
          role: 'user',
        },
        conversation: { id: conv._id, isGroup: false, conversationType: 'personal', name: '' },
        timestamp: new Date(),
      },
    ]);
    res.json(200, { id: activity.id });
    // Processed after the answer, as Direct Line does (turns.ts).
    if (isUserTurn(activity)) deps.turns.start(conv._id, activity);
  };
}

/** A request's body, or undefined once it passes `max` bytes (then reading stops). */
function bodyOf(req: Request, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(size <= max ? Buffer.concat(chunks) : undefined));
    req.once('error', () => resolve(undefined));
  });
}

/**
 * The parts of a Direct Line upload: its activity (the 'activity' part, JSON) and what names its
 * files (the other parts; their contents are not kept). Undefined when it is not one.
 */
async function parseUpload(
  body: Buffer,
  contentType: string | undefined,
): Promise<{ activity: Partial<Activity>; files: Array<{ contentType: string; name: string }> } | undefined> {
  if (!contentType?.startsWith('multipart/form-data')) return undefined;
  try {
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    const part = form.get('activity');
    const activity = part === null ? {} : JSON.parse(typeof part === 'string' ? part : await part.text());
    if (!activity || typeof activity !== 'object' || Array.isArray(activity)) return undefined;
    const files = [...form.entries()]
      .filter(([name, value]) => name !== 'activity' && typeof value !== 'string')
      .map(([, value]) => {
        const file = value as File;
        return {
          contentType: (file.type || 'application/octet-stream').slice(0, 100),
          name: (file.name || 'file').slice(0, 200),
        };
      });
    return { activity: activity as Partial<Activity>, files };
  } catch {
    return undefined;
  }
}
