import { describe, expect, it } from 'vitest';
import { FILTER_REASONS, filterPair, pairKey } from '../../bot/matching/filters.js';
import { prepareMentee } from '../../bot/matching/mentee.js';
import { indexMentors } from '../../bot/matching/mentors.js';
import { penaltiesFromPassed } from '../../bot/matching/penalties.js';
import { rank } from '../../bot/matching/rank.js';
import { explainPair, scoreRow } from '../../bot/matching/score.js';
import { mentee, mentor } from './helpers.js';
import { syntheticMentees, syntheticMentors } from './synthetic.js';

describe('rank', () => {
  it('returns the best mentors first, with their reasons, and counts what was filtered', () => {
    const mentors = [
      mentor({}, { id: 'claire' }),
      mentor({ sectors: ['digital'] }, { id: 'nora' }),
      mentor({}, { id: 'paused', paused: true }),
      mentor({ languages: ['ar'] }, { id: 'arabic' }),
      mentor({ sectors: ['digital'] }, { id: 'full', activeMentees: 2 }),
      mentor({}, { id: 'seen' }),
    ];
    const result = rank(mentee(), mentors, { excluded: new Set([pairKey('lea', 'seen')]) });
    expect(result.mentors.map((m) => m.mentorId)).toEqual(['nora', 'claire']);
    expect(result.mentors[0]?.reasons[0]).toEqual({
      key: 'matching:reason.sector',
      params: { sectors: ['digital'] },
    });
    expect(result.eligible).toBe(2);
    expect(result.filtered).toEqual({
      mentee_charter: 0,
      mentor_charter: 0,
      mentor_paused: 1,
      mentor_full: 1,
      already_paired: 1,
      no_shared_language: 1,
    });
  });

  it('keeps the order given among equal scores, and at most `limit`', () => {
    const mentors = ['a', 'b', 'c', 'd'].map((id) => mentor({}, { id }));
    expect(rank(mentee(), mentors, { limit: 3 }).mentors.map((m) => m.mentorId)).toEqual(['a', 'b', 'c']);
    expect(rank(mentee(), mentors, { limit: 0 }).mentors).toEqual([]);
    expect(rank(mentee(), [], {}).mentors).toEqual([]);
  });

  it('puts a mentor like one passed a little lower, not out', () => {
    const twin = mentor({ company: 'Acme Provence' }, { id: 'twin' });
    const other = mentor({ company: 'Autre SA' }, { id: 'other' });
    expect(rank(mentee(), [twin, other]).mentors.map((m) => m.mentorId)).toEqual(['twin', 'other']);
    const penalties = penaltiesFromPassed([{ company: 'Acme Provence', sectors: ['finance'] }]);
    const after = rank(mentee(), [twin, other], { penalties }).mentors;
    expect(after.map((m) => m.mentorId)).toEqual(['other', 'twin']);
    expect(after[1]?.penalty).toBe(40);
    // A clearly better mentor stays first despite the penalty.
    const better = mentor({ company: 'Acme Provence', sectors: ['digital'] }, { id: 'better' });
    expect(rank(mentee(), [better, other], { penalties }).mentors[0]?.mentorId).toBe('better');
  });

  it('gives, among 3,000 generated mentors, the same top as scoring each pair one by one', () => {
    const mentors = syntheticMentors(3000, 21);
    const index = indexMentors(mentors);
    for (const e of syntheticMentees(20, 22)) {
      const excluded = new Set(mentors.slice(0, 50).map((m) => pairKey(e.id, m.id)));
      const result = rank(e, index, { excluded, limit: 5 });
      const prepared = prepareMentee(e, index, { excluded });
      const eligible = mentors
        .map((m, j) => ({ id: m.id, j, ok: filterPair(e, m, { excluded }) === undefined }))
        .filter((m) => m.ok)
        .map((m) => ({ id: m.id, score: explainPair(prepared, m.j).score }))
        .sort((a, b) => b.score - a.score);
      expect(result.eligible).toBe(eligible.length);
      expect(result.mentors.map((m) => m.score)).toEqual(eligible.slice(0, 5).map((m) => m.score));
      const row = new Int32Array(mentors.length);
      scoreRow(prepared, row);
      for (const m of result.mentors) expect(row[index.position.get(m.mentorId) as number]).toBe(m.score);
      expect(Object.values(result.filtered).reduce((a, b) => a + b, 0)).toBe(
        mentors.length - eligible.length,
      );
      expect(Object.keys(result.filtered)).toEqual([...FILTER_REASONS]);
    }
  });
});
