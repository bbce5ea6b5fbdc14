import type { Bot } from '../../bot/bot.js';
import { normalize } from '../../bot/engine/recognize.js';
import { toLocale } from '../../bot/i18n.js';
import { fieldOf, MENTOR_PROFILE } from '../../dialogs/questions.js';
import { describe } from '../../dialogs/summary.js';
import { escapeMrkdwn } from './format.js';
import { type Home, mentorState } from './home.js';

const SUBCOMMANDS: Record<string, 'status' | 'pause' | 'resume' | 'profile' | 'help'> = {
  statut: 'status',
  status: 'status',
  pause: 'pause',
  reprendre: 'resume',
  resume: 'resume',
  profil: 'profile',
  profile: 'profile',
  aide: 'help',
  help: 'help',
};

export interface SlashAnswer {
  text: string;
  /** The status changed: the App Home should be published again (after the answer). */
  changed: boolean;
}

/**
 * `/tandem statut|pause|reprendre|profil|aide`: the answer, shown only to the mentor, in their
 * language. Quick by design (a read and at most one write): Slack wants it within 3 s.
 */
export async function slashCommand(
  text: string,
  userId: string,
  deps: { bot: Bot; home: Home },
): Promise<SlashAnswer> {
  const person = await deps.home.person(userId);
  const t = deps.bot.i18n.getFixedT(toLocale(person?.locale));
  const sub = SUBCOMMANDS[normalize(text.trim().split(/\s+/)[0] ?? '')] ?? 'help';
  const say = (key: string, changed = false): SlashAnswer => ({ text: t(key), changed });
  if (sub === 'help') return say('slack:command.help');
  const state = mentorState(person, person ? (await deps.home.mentees(person._id)).length : 0);
  if (!person || state === 'onboarding') return say('slack:command.not_ready');
  const setStatus = (to: 'active' | 'paused', from: 'active' | 'paused') =>
    deps.bot.services.matchmaker.setMentorStatus(person._id, to, from);
  switch (sub) {
    case 'status':
      return { text: t('slack:command.status', { state: t(`slack:state.${state}`) }), changed: false };
    case 'pause':
      return say('slack:command.paused', state !== 'paused' && (await setStatus('paused', 'active')));
    case 'resume':
      return say('slack:command.resumed', state === 'paused' && (await setStatus('active', 'paused')));
    default: {
      const lines = MENTOR_PROFILE.map((id) => escapeMrkdwn(describe(id, person.profile[fieldOf(id)], t)));
      return { text: `${t('slack:command.profile')}\n${lines.join('\n')}`, changed: false };
    }
  }
}
