import type { Bot } from '../../bot/bot.js';
import { normalize } from '../../bot/engine/recognize.js';
import { fieldOf } from '../../dialogs/questions.js';
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

/** The order the profile is shown in by /tandem profil. */
const PROFILE = [
  'firstName',
  'company',
  'jobTitle',
  'mentor_sectors',
  'goals',
  'skills',
  'capacity',
  'bio',
  'showCompany',
];

/** `/tandem statut|pause|reprendre|profil|aide`: the answer, shown only to the mentor. */
export async function slashCommand(
  text: string,
  userId: string,
  deps: { bot: Bot; home: Home },
): Promise<string> {
  const t = deps.bot.i18n.getFixedT('fr');
  const sub = SUBCOMMANDS[normalize(text.trim().split(/\s+/)[0] ?? '')] ?? 'help';
  if (sub === 'help') return t('slack:command.help');
  const person = await deps.home.person(userId);
  const state = mentorState(person);
  if (!person || state === 'onboarding') return t('slack:command.not_ready');
  const { people } = deps.bot.services;
  let answer: string;
  switch (sub) {
    case 'status':
      answer = t('slack:command.status', { state: t(`slack:state.${state}`) });
      break;
    case 'pause':
      if (state !== 'paused') await people.setStatus(person._id, 'paused');
      answer = t('slack:command.paused');
      break;
    case 'resume':
      if (state === 'paused') await people.setStatus(person._id, 'active');
      answer = t('slack:command.resumed');
      break;
    default:
      answer = `${t('slack:command.profile')}\n${PROFILE.map((id) => escapeMrkdwn(describe(id, person.profile[fieldOf(id)], t))).join('\n')}`;
  }
  if (sub === 'pause' || sub === 'resume') await deps.home.publish(userId);
  return answer;
}
