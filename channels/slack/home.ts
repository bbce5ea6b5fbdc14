import type { WebClient } from '@slack/web-api';
import type { i18n } from 'i18next';
import { toLocale } from '../../bot/i18n.js';
import type { Logger } from '../../bot/log.js';
import type { PeopleService } from '../../bot/services/people.js';
import type { ProposalService } from '../../bot/services/proposals.js';
import type { PersonDoc } from '../../models/person.js';
import { escapeMrkdwn, type KnownBlock } from './format.js';
import { SLACK } from './outbound.js';

/** What a mentor is, as the App Home and /tandem statut show it. */
export type MentorState = 'active' | 'paused' | 'full' | 'onboarding';

/** A mentor's state: "full" when their current pairs fill the capacity they chose. */
export function mentorState(person: PersonDoc | null | undefined, mentees = 0): MentorState {
  if (person?.role !== 'mentor') return 'onboarding';
  if (person.status !== 'active' && person.status !== 'paused') return 'onboarding';
  if (person.status === 'paused') return 'paused';
  const capacity = Number(person.profile?.capacity ?? 0);
  return capacity > 0 && mentees >= capacity ? 'full' : 'active';
}

/**
 * The App Home tab: the mentor's status, profile and current mentees, with buttons to pause or
 * resume and to edit the profile (the edit happens in the direct message, as a conversation).
 */
export class Home {
  constructor(
    private readonly deps: {
      client: WebClient;
      people: PeopleService;
      proposals: ProposalService;
      i18n: i18n;
      log: Logger;
      /** Starts a turn in the person's direct message (the profile edit). */
      edit: (userId: string, channel: string) => Promise<void>;
      /** The mentor pauses or comes back (Matchmaker.setMentorStatus). */
      setStatus: (personId: string, to: 'active' | 'paused', from: 'active' | 'paused') => Promise<boolean>;
    },
  ) {}

  async person(userId: string): Promise<PersonDoc | null> {
    const identity = await this.deps.people.identity(SLACK, userId);
    return identity ? this.deps.people.get(identity.personId) : null;
  }

  async publish(userId: string): Promise<void> {
    const person = await this.person(userId);
    const [mentees, waiting] = person
      ? await Promise.all([this.mentees(person._id), this.waiting(person._id)])
      : [[], []];
    await this.deps.client.views.publish({
      user_id: userId,
      view: { type: 'home', blocks: this.blocks(person, mentees, waiting) },
    });
  }

  /** The first names of the mentees whose request waits for the mentor's answer. */
  private async waiting(mentorId: string): Promise<string[]> {
    const pending = await this.deps.proposals.pendingFor(mentorId);
    const people = await Promise.all(pending.map((p) => this.deps.people.get(p.menteeId)));
    return people.map((p) => String(p?.profile.firstName ?? '?'));
  }

  /** The first names of the mentor's current mentees. */
  async mentees(mentorId: string): Promise<string[]> {
    const matches = await this.deps.proposals.activeMatches(mentorId);
    const people = await Promise.all(matches.map((m) => this.deps.people.get(m.menteeId)));
    return people.map((p) => String(p?.profile.firstName ?? '?'));
  }

  /** A button of the Home tab. */
  async act(userId: string, actionId: string): Promise<void> {
    const person = await this.person(userId);
    const state = mentorState(person);
    if (person && actionId === 'home_pause' && state !== 'onboarding' && state !== 'paused') {
      await this.deps.setStatus(person._id, 'paused', 'active');
    } else if (person && actionId === 'home_resume' && state === 'paused') {
      await this.deps.setStatus(person._id, 'active', 'paused');
    } else if (person && actionId === 'home_edit' && state !== 'onboarding') {
      const { channel } = await this.deps.client.conversations.open({ users: userId });
      if (channel?.id) await this.deps.edit(userId, channel.id);
    }
    await this.publish(userId);
  }

  private blocks(person: PersonDoc | null, mentees: string[], waiting: string[] = []): KnownBlock[] {
    const t = this.deps.i18n.getFixedT(toLocale(person?.locale));
    const state = mentorState(person, mentees.length);
    const current =
      mentees.length > 0
        ? mentees.map((name) => `• ${escapeMrkdwn(name)}`).join('\n')
        : t('slack:home.no_mentees');
    const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: t('slack:home.title') } };
    if (!person || state === 'onboarding') {
      return [header, { type: 'section', text: { type: 'mrkdwn', text: t('slack:home.start') } }];
    }
    const p = person.profile;
    const line = (key: string, value: unknown) =>
      value === undefined || value === '' ? '' : `*${t(key)}* : ${escapeMrkdwn(String(value))}`;
    const profile = [
      line('slack:home.first_name', p.firstName),
      line('slack:home.job_title', p.jobTitle),
      line('slack:home.company', p.company) +
        (p.company
          ? ` _(${t(p.showCompany === 'yes' ? 'slack:home.company_shown' : 'slack:home.company_hidden')})_`
          : ''),
      line('slack:home.capacity', t('slack:home.capacity_value', { count: Number(p.capacity ?? 0) })),
    ].filter(Boolean);
    const toggle =
      state === 'paused'
        ? { text: t('slack:home.resume'), action_id: 'home_resume', style: 'primary' as const }
        : { text: t('slack:home.pause'), action_id: 'home_pause' };
    return [
      header,
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${t('slack:home.status')}* : ${t(`slack:state.${state}`)}` },
      },
      { type: 'section', text: { type: 'mrkdwn', text: profile.join('\n') } },
      { type: 'divider' },
      ...(waiting.length > 0
        ? [
            {
              type: 'section' as const,
              text: {
                type: 'mrkdwn' as const,
                text: `*${t('slack:home.waiting')}*\n${waiting.map((name) => `• ${escapeMrkdwn(name)}`).join('\n')}\n_${t('slack:home.waiting_hint')}_`,
              },
            },
          ]
        : []),
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${t('slack:home.mentees')}*\n${current}` },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: toggle.text },
            action_id: toggle.action_id,
            ...(toggle.style ? { style: toggle.style } : {}),
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: t('slack:home.edit') },
            action_id: 'home_edit',
          },
        ],
      },
    ];
  }
}
