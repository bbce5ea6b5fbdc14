import { normalize } from './recognize.js';

export type Command = 'help' | 'restart' | 'stop' | 'resume' | 'my_data' | 'delete_account';

/** Each command's words in French and English; the whole message must be the command. */
const WORDS: Record<Command, string[]> = {
  help: ['aide', "j'ai besoin d'aide", 'aidez-moi', 'aide-moi', 'help', 'help me', '?', 'au secours'],
  restart: ['recommencer', 'tout recommencer', 'recommencer à zéro', 'restart', 'start over'],
  stop: ['stop', 'arrêter', 'arrête', 'désinscription', 'unsubscribe'],
  resume: ['reprendre', 'resume'],
  my_data: ['mes données', 'mes donnees', 'my data', 'voir mes données'],
  delete_account: ['supprimer mon compte', 'supprimer mes données', 'delete my account', 'delete my data'],
};

const BY_TEXT = new Map<string, Command>(
  Object.entries(WORDS).flatMap(([cmd, words]) => words.map((w) => [normalize(w) || w, cmd as Command])),
);

/**
 * The global command a message is, if it is one: "aide", "/aide", "Stop !" are; "j'ai besoin
 * d'aide pour mon CV" is an answer, not a command.
 */
export function recognizeCommand(text: string | undefined): Command | undefined {
  if (!text || text.length > 40) return undefined;
  const trimmed = text.trim().replace(/^\//, '');
  return BY_TEXT.get(normalize(trimmed) || trimmed);
}
