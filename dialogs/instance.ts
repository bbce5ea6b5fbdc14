import type { DialogContext, DialogInstance } from 'botbuilder-dialogs';

/** The instance of the dialog being run: always there inside begin/continue/resume. */
export function activeInstance(dc: DialogContext): DialogInstance {
  const instance = dc.activeDialog;
  if (!instance) throw new Error('no active dialog');
  return instance;
}
