import { describe, expect, it } from 'vitest';
import { assignCohort, cohortProblem } from '../../bot/matching/cohort.js';
import { filterPair, pairKey } from '../../bot/matching/filters.js';
import { indexMentors } from '../../bot/matching/mentors.js';
import { penaltiesFromPassed } from '../../bot/matching/penalties.js';
import { capacity, type MenteeCandidate } from '../../bot/matching/profile.js';
import { bruteForce, mentee, mentor } from './helpers.js';
import { syntheticMentees, syntheticMentors } from './synthetic.js';

describe('assignCohort', () => {
  it('finds the brute-force optimum on small generated cohorts', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const mentees = syntheticMentees(6, seed);
      const mentors = syntheticMentors(3, 100 + seed);
      const problem = cohortProblem(mentees, indexMentors(mentors));
      const scores = mentees.map((_, i) => {
        const row = new Int32Array(mentors.length);
        problem.scoreRow(i, row);
        return row;
      });
      const best = bruteForce(scores, Array.from(problem.capacities));
      const result = assignCohort(mentees, mentors);
      expect({ seed, total: result.total, matched: result.matched }).toEqual({ seed, ...best });
    }
  });

  it('respects places, filters and history on a larger cohort, and beats sign-up order', () => {
    const mentees = syntheticMentees(300, 5);
    const mentors = syntheticMentors(120, 6);
    const excluded = new Set(
      mentees.slice(0, 100).map((e, i) => pairKey(e.id, (mentors[i] as { id: string }).id)),
    );
    const result = assignCohort(mentees, mentors, { excluded });
    const byId = new Map<string, MenteeCandidate>(mentees.map((e) => [e.id, e]));
    const used = new Map<string, number>();
    for (const pair of result.pairs) {
      const m = mentors.find((x) => x.id === pair.mentorId);
      if (m === undefined) throw new Error('unknown mentor');
      expect(filterPair(byId.get(pair.menteeId) as MenteeCandidate, m, { excluded })).toBeUndefined();
      used.set(m.id, (used.get(m.id) ?? 0) + 1);
      expect(used.get(m.id)).toBeLessThanOrEqual(capacity(m.profile) - m.activeMentees);
    }
    expect(new Set(result.pairs.map((p) => p.menteeId)).size).toBe(result.pairs.length);
    expect(result.pairs.length + result.unmatched.length).toBe(mentees.length);
    expect(result.total).toBe(result.pairs.reduce((a, p) => a + p.score, 0));
    expect(result.matched).toBe(result.pairs.length);
    expect(result.total).toBeGreaterThanOrEqual(result.greedy.total);
    expect(result.total).toBeGreaterThan(0);
  });

  it('keeps a mentor for the mentee who needs them, unlike first come first served', () => {
    // Léa signed up first and likes both mentors; Omar speaks only Arabic, like Nadia alone.
    const lea = mentee({ languages: ['fr', 'ar'] }, { id: 'lea' });
    const omar = mentee({ languages: ['ar'] }, { id: 'omar' });
    const nadia = mentor(
      { languages: ['fr', 'ar'], sectors: ['digital'] },
      { id: 'nadia', activeMentees: 1 },
    );
    const claire = mentor({}, { id: 'claire', activeMentees: 1 });
    const result = assignCohort([lea, omar], [nadia, claire]);
    expect(result.pairs.map((p) => [p.menteeId, p.mentorId])).toEqual([
      ['lea', 'claire'],
      ['omar', 'nadia'],
    ]);
    expect(result.greedy.matched).toBe(1);
    expect(result.matched).toBe(2);
  });

  it('applies each mentee’s penalties', () => {
    const lea = mentee({}, { id: 'lea' });
    const twin = mentor({ company: 'Acme' }, { id: 'twin' });
    const other = mentor({ company: 'Autre' }, { id: 'other', activeMentees: 0 });
    const plain = assignCohort([lea], [twin, other]);
    expect(plain.pairs[0]?.mentorId).toBe('twin');
    const penalties = new Map([['lea', penaltiesFromPassed([{ company: 'Acme' }])]]);
    expect(assignCohort([lea], [twin, other], { penalties }).pairs[0]?.mentorId).toBe('other');
  });
});
