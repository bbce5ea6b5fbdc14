/**
 * What the matching says, in the reader's language: the mentee's card of a mentor, the mentor's
 * request, the introduction of a new pair, and the words and buttons they answer with. Pure: the
 * flow (services/matchmaker.ts) decides what is sent to whom and when.
 */
import type { Activity } from 'botbuilder';
import type { PersonDoc, Profile } from '../../models/person.js';
import type { ProposalDoc } from '../../models/proposal.js';
import { type Button, standaloneCard, text } from '../engine/reply.js';
import type { TFunction } from '../i18n.js';
import { text as answer, commune, values } from '../matching/profile.js';
import { type Reason, renderReasons } from '../matching/reasons.js';
import { type ListName, labelOf } from '../reference/lists.js';

export type Replies = Partial<Activity>[];

export type MenteeVerb = 'interested' | 'pass' | 'later';
export type MentorVerb = 'accept' | 'decline' | 'later';
export const MENTEE_VERBS: readonly MenteeVerb[] = ['interested', 'pass', 'later'];
export const MENTOR_VERBS: readonly MentorVerb[] = ['accept', 'decline', 'later'];
export const DECLINE_REASONS = ['not_available', 'not_my_field', 'too_far', 'other'] as const;
export const CONTACT_CHOICES = ['email', 'phone', 'both', 'none'] as const;
export type ContactChoice = (typeof CONTACT_CHOICES)[number];

/** Whether `value` is one of `allowed` (a button's value, checked before it is trusted). */
export function isOneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** The `q` of the buttons of a card: what they answer, and about which proposal or match. */
export const ACTIONS = ['proposal', 'request', 'decline', 'contact'] as const;
export type ActionKind = (typeof ACTIONS)[number];
const actionQ = (kind: ActionKind, id: string) => `${kind}:${id}`;

/** The action a button's `q` names, if it is one of a card's. */
export function parseAction(q: string): { kind: ActionKind; id: string } | undefined {
  const colon = q.indexOf(':');
  const kind = q.slice(0, colon);
  return colon > 0 && isOneOf(ACTIONS, kind) ? { kind, id: q.slice(colon + 1) } : undefined;
}

export function firstName(person: PersonDoc | null | undefined): string {
  return (person && answer(person.profile, 'firstName')) || '—';
}

/** "jeudi 30 novembre à 14:00", in the hub's time zone and the reader's language. */
export function formatDate(at: Date | undefined, t: TFunction, timeZone: string): string {
  if (!at) return '';
  return new Intl.DateTimeFormat(t('proposals:date_locale'), {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  }).format(at);
}

/** The mentor as a card for the mentee: who, what they do, why them; three buttons. */
export function menteeCard(proposal: ProposalDoc, mentor: PersonDoc, t: TFunction): Partial<Activity> {
  const p = mentor.profile;
  const reasons = renderReasons(proposal.reasons as Reason[], t, 4);
  const body = [
    answer(p, 'bio'),
    reasons.length > 0 ? `${t('proposals:card.why')}\n${reasons.map((r) => `• ${r}`).join('\n')}` : '',
  ].filter(Boolean);
  return standaloneCard(
    {
      title: [firstName(mentor), answer(p, 'jobTitle')].filter(Boolean).join(' · '),
      subtitle: answer(p, 'showCompany') === 'yes' ? answer(p, 'company') || undefined : undefined,
      text: body.join('\n\n'),
      buttons: verbButtons(MENTEE_VERBS, 'proposals:card', t),
    },
    actionQ('proposal', proposal._id),
  );
}

/** The request as the mentor sees it: who asks, for what, never how to reach them; three buttons. */
export function requestCard(proposal: ProposalDoc, mentee: PersonDoc, t: TFunction, timeZone: string) {
  const p = mentee.profile;
  const fields: Array<[string, string]> = [
    ['firstName', firstName(mentee)],
    ['situation', labels('situation', p, 'situation', t)],
    ['goal', labels('goal', p, 'goal', t)],
    ['sectors', labels('sectors', p, 'sectors', t)],
    ['commune', commune(p)?.name ?? ''],
    // Free text: contact details typed there are not passed on before the match.
    ['expectations', masked(answer(p, 'expectations'), t('proposals:request.masked'))],
  ];
  const lines = fields
    .filter(([, value]) => value !== '')
    .map(([field, value]) => t(`proposals:request.${field}`, { value }));
  lines.push('', t('proposals:request.deadline', { deadline: formatDate(proposal.deadline, t, timeZone) }));
  return standaloneCard(
    {
      title: t('proposals:request.title'),
      text: lines.join('\n'),
      buttons: verbButtons(MENTOR_VERBS, 'proposals:request.button', t),
    },
    actionQ('request', proposal._id),
  );
}

/** The optional reason of a decline, as buttons. */
export function declineReasonsCard(proposalId: string, t: TFunction): Partial<Activity> {
  return standaloneCard(
    {
      title: t('proposals:reason.title'),
      text: t('proposals:reason.ask'),
      buttons: DECLINE_REASONS.map((r) => ({ title: t(`proposals:reason.${r}`), value: r })),
    },
    actionQ('decline', proposalId),
  );
}

/** The introduction of a new pair to one of them: who, the commitments, a first step, contact. */
export function introduction(
  other: PersonDoc | null,
  matchId: string,
  role: 'mentee' | 'mentor',
  t: TFunction,
): Replies {
  const name = firstName(other);
  return [
    text(
      [
        t(`proposals:intro.${role}`, { name }),
        t('charter:commitments'),
        t(`proposals:intro.first_step_${role}`, { name }),
      ].join('\n\n'),
    ),
    contactCard(other, matchId, t),
  ];
}

/** Which contact details to pass on to the other of a new pair: asked at the match, with consent. */
export function contactCard(other: PersonDoc | null, matchId: string, t: TFunction): Partial<Activity> {
  return standaloneCard(
    {
      title: t('proposals:contact.title'),
      text: t('proposals:contact.ask', { name: firstName(other) }),
      buttons: CONTACT_CHOICES.map((c) => ({ title: t(`proposals:contact.${c}`), value: c })),
    },
    actionQ('contact', matchId),
  );
}

/** E-mail addresses and phone numbers in a free text, to hide them. */
const CONTACTS = [
  /[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[a-z]{2,}/giu,
  /(?:\+\d{1,3}[\s.-]?)?(?:\(0\))?\d(?:[\s.-]?\d){7,13}/g,
];

function masked(input: string, mask: string): string {
  return CONTACTS.reduce((out, pattern) => out.replace(pattern, mask), input);
}

/** The labels of a profile's answers from a shared list, joined. */
function labels(list: ListName, profile: Profile, key: string, t: TFunction): string {
  return values(profile, key)
    .map((id) => labelOf(list, id, t))
    .join(', ');
}

function verbButtons(verbs: readonly string[], prefix: string, t: TFunction): Button[] {
  return verbs.map((v) => ({ title: t(`${prefix}.${v}`), value: v }));
}
