import type { Connection, QueryFilter } from 'mongoose';
import { type OpenRequestDoc, openRequestModel } from '../../models/open-request.js';
import { type ProposalDoc, proposalModel } from '../../models/proposal.js';
import { GroupCommit } from '../db/group-commit.js';
import { insertOnce } from '../db/insert-once.js';

type Filter = QueryFilter<OpenRequestDoc>;

/**
 * The requests waiting for a mentor's answer (models/open-request.ts), one set per database.
 * An entry is added when the mentee says "ça m'intéresse" and removed when the request ends; the
 * proposal stays the truth, so readers check each entry against it and drop the ones whose
 * request ended (a process that died before removing them). Requests made before the set existed,
 * or whose process died before adding them, are added by the first read of each process: the one
 * full read of the proposals.
 */
export class OpenRequests {
  private static readonly all = new WeakMap<Connection, OpenRequests>();

  static of(conn: Connection): OpenRequests {
    let found = OpenRequests.all.get(conn);
    if (!found) {
      found = new OpenRequests(conn);
      OpenRequests.all.set(conn, found);
    }
    return found;
  }

  private readonly open;
  private readonly proposals;
  private readonly writes: GroupCommit;
  private checked?: Promise<void>;

  private constructor(conn: Connection) {
    this.open = openRequestModel(conn);
    this.proposals = proposalModel(conn);
    this.writes = GroupCommit.of(this.open.collection);
  }

  /** A request starts (the proposal already says `mentee_interested`). */
  async add(request: OpenRequestDoc): Promise<void> {
    await insertOnce(this.open.collection, { ...request });
  }

  /** The request ended (the proposal no longer says `mentee_interested`). */
  async remove(id: string): Promise<void> {
    await this.writes.deleteById(id);
  }

  async reminded(id: string, at: Date): Promise<void> {
    await this.writes.updateById(id, { $set: { remindedAt: at } });
  }

  /** The entries matching `filter`, unchecked (a ranking's hint). */
  async entries(filter: Filter = {}): Promise<OpenRequestDoc[]> {
    await this.checkOnce();
    return this.open.find(filter).lean<OpenRequestDoc[]>();
  }

  /** The waiting requests matching `filter`, each checked against its proposal (read by `_id`). */
  async requests(filter: Filter = {}): Promise<ProposalDoc[]> {
    const entries = await this.entries(filter);
    const checked = await Promise.all(
      entries.map(async ({ _id }) => {
        const proposal = await this.proposals.findById(_id).lean<ProposalDoc>();
        if (proposal?.status === 'mentee_interested') return proposal;
        await this.remove(_id);
        return undefined;
      }),
    );
    return checked.filter((p): p is ProposalDoc => p !== undefined);
  }

  private checkOnce(): Promise<void> {
    this.checked ??= this.check().catch((err) => {
      this.checked = undefined;
      throw err;
    });
    return this.checked;
  }

  private async check(): Promise<void> {
    const waiting = await this.proposals
      .find(
        { status: 'mentee_interested' },
        { mentorId: 1, menteeId: 1, requestedAt: 1, deadline: 1, remindAt: 1, remindedAt: 1 },
      )
      .lean<ProposalDoc[]>();
    await Promise.all(
      waiting.map((p) => {
        const entry = OpenRequests.entryOf(p);
        return entry ? this.add(entry) : undefined;
      }),
    );
  }

  /** The entry of a proposal that says `mentee_interested`. */
  static entryOf(p: ProposalDoc): OpenRequestDoc | undefined {
    if (!p.requestedAt || !p.deadline || !p.remindAt) return undefined;
    return {
      _id: p._id,
      mentorId: p.mentorId,
      menteeId: p.menteeId,
      requestedAt: p.requestedAt,
      deadline: p.deadline,
      remindAt: p.remindAt,
      ...(p.remindedAt ? { remindedAt: p.remindedAt } : {}),
    };
  }
}
