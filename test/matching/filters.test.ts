import { describe, expect, it } from 'vitest';
import {
  FILTER_REASONS,
  type FilterReason,
  filterPair,
  pairKey,
  splitPairKey,
} from '../../bot/matching/filters.js';
import { prepareMentee } from '../../bot/matching/mentee.js';
import { indexMentors } from '../../bot/matching/mentors.js';
import type { MenteeCandidate, MentorCandidate } from '../../bot/matching/profile.js';
import { scoreRow } from '../../bot/matching/score.js';
import { mentee, mentor } from './helpers.js';
import { random, syntheticMentees, syntheticMentors } from './synthetic.js';

type Row = [name: string, mentee: MenteeCandidate, mentor: MentorCandidate, reason: FilterReason | undefined];

const ALREADY = new Set([pairKey('lea', 'claire')]);

const ROWS: Row[] = [
  ['a fine pair', mentee(), mentor(), undefined],
  ['mentee has not accepted the charter', mentee({}, { charterAccepted: false }), mentor(), 'mentee_charter'],
  ['mentor has not accepted the charter', mentee(), mentor({}, { charterAccepted: false }), 'mentor_charter'],
  ['mentor paused', mentee(), mentor({}, { paused: true }), 'mentor_paused'],
  ['mentor full (2 of 2)', mentee(), mentor({}, { activeMentees: 2 }), 'mentor_full'],
  ['mentor with one place left', mentee(), mentor({}, { activeMentees: 1 }), undefined],
  ['capacity missing counts as 1', mentee(), mentor({ capacity: '' }, { activeMentees: 1 }), 'mentor_full'],
  ['no shared language', mentee({ languages: ['ar'] }), mentor(), 'no_shared_language'],
  [
    '"other" and "other" are not shared',
    mentee({ languages: ['other'] }),
    mentor({ languages: ['other'] }),
    'no_shared_language',
  ],
  ['another shared language than French', mentee({ languages: ['en'] }), mentor(), undefined],
  [
    'charter first, then the rest',
    mentee({ languages: ['ar'] }, { charterAccepted: false }),
    mentor({}, { paused: true }),
    'mentee_charter',
  ],
  ['paused before full', mentee(), mentor({}, { paused: true, activeMentees: 2 }), 'mentor_paused'],
];

describe('hard filters', () => {
  it.each(ROWS)('%s', (_name, e, m, reason) => {
    expect(filterPair(e, m)).toBe(reason);
  });

  it('excludes a pair already proposed, passed, declined or matched, and only that pair', () => {
    expect(filterPair(mentee(), mentor(), { excluded: ALREADY })).toBe('already_paired');
    expect(filterPair(mentee({}, { id: 'other' }), mentor(), { excluded: ALREADY })).toBeUndefined();
    expect(filterPair(mentee(), mentor({}, { id: 'bob' }), { excluded: ALREADY })).toBeUndefined();
  });

  it('keys pairs so that no separator in an id makes two pairs collide', () => {
    expect(pairKey('a:b', 'c')).not.toBe(pairKey('a', 'b:c'));
    expect(splitPairKey(pairKey('a:b', 'c:d'))).toEqual(['a:b', 'c:d']);
    expect(splitPairKey('not a key')).toBeUndefined();
    expect(splitPairKey('9:short:x')).toBeUndefined();
  });

  it('filters exactly as the fast scoring does, with the same reason', () => {
    const rnd = random(7);
    const mentees = syntheticMentees(40, 3);
    mentees[0] = { ...(mentees[0] as MenteeCandidate), charterAccepted: false };
    const mentors = syntheticMentors(300, 4);
    const excluded = new Set(
      mentees.flatMap((e) => mentors.filter(() => rnd() < 0.05).map((m) => pairKey(e.id, m.id))),
    );
    const index = indexMentors(mentors);
    const row = new Int32Array(mentors.length);
    const seen = new Set<string>();
    for (const e of mentees) {
      scoreRow(prepareMentee(e, index, { excluded }), row);
      mentors.forEach((m, j) => {
        const reason = filterPair(e, m, { excluded });
        const fast = (row[j] as number) < 0 ? FILTER_REASONS[-(row[j] as number) - 1] : undefined;
        expect(fast, `${e.id} × ${m.id}`).toBe(reason);
        seen.add(String(reason));
      });
    }
    // The generated data exercises every filter.
    expect([...seen].sort()).toEqual([...FILTER_REASONS, 'undefined'].sort());
  });
});
