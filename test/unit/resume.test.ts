import { describe, expect, it } from 'vitest';
import { isAnswerOf, validAnswers } from '../../dialogs/questions.js';
import { answersIn } from '../../dialogs/resume.js';

describe('answers kept from an older version', () => {
  it.each([
    ['age', '18_25', true],
    ['age', 'twenties', false],
    ['sectors', ['digital', 'health'], true],
    ['sectors', ['digital', 'space_travel'], false],
    ['sectors', [], false],
    ['sectors', 'digital', false],
    ['programmes', [], true],
    ['firstName', 'Léa', true],
    ['firstName', '   ', false],
    ['firstName', 'x'.repeat(41), false],
    ['skillsOther', '', true],
    ['expectations', '', false],
    ['commune', { code: '13055', name: 'Marseille', inArea: true }, true],
    ['commune', { code: '99999', name: 'Nulle part', inArea: true }, false],
    ['commune', 'Marseille', false],
    ['showCompany', 'yes', true],
    ['showCompany', true, false],
  ])('%s = %j is an answer: %s', (id, value, valid) => {
    expect(isAnswerOf(id, value)).toBe(valid);
  });

  it('keeps the valid answers of the questions asked, under their profile fields', () => {
    const kept = validAnswers(['mentor_sectors', 'capacity', 'firstName'], {
      sectors: ['digital'],
      capacity: 'seven',
      firstName: 'Sam',
      company: 'Not asked',
    });
    expect(kept).toEqual({ sectors: ['digital'], firstName: 'Sam' });
  });

  it("takes the active dialog's answers over those of the dialogs below it", () => {
    const stack = {
      dialogStack: [
        {
          id: 'root',
          state: {
            dialogs: {
              dialogStack: [
                { id: 'summary', state: { answers: { firstName: 'Léa', sectors: ['health'] } } },
                { id: 'steps', state: { values: { answers: { firstName: 'Lea', age: '18_25' } } } },
              ],
            },
          },
        },
      ],
    };
    expect(answersIn(stack)).toEqual({ firstName: 'Léa', age: '18_25', sectors: ['health'] });
    expect(answersIn(null)).toEqual({});
    expect(answersIn({ answers: ['not', 'answers'] })).toEqual({});
  });
});
