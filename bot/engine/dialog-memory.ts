import { createRequire } from 'node:module';
import type { TurnContext } from 'botbuilder';
import type { DialogStateManagerConfiguration } from 'botbuilder-dialogs';

/**
 * botbuilder-dialogs gives every DialogContext (each dialog on the stack, each waterfall step, every
 * turn) a DialogStateManager, whose constructor registers a new DialogsComponentRegistration: a
 * service collection built and checked with zod, then thrown away. The first manager of a turn also
 * builds the memory scopes again. That was about 4 % of the app's CPU under the turns benchmark.
 * The registration and the scopes hold no per-turn data (the scopes read the turn's state from the
 * context they are given), so one of each serves the whole process. botbuilder-dotnet removed that
 * registration from its manager (PR #5397); the JS package still has it (4.23).
 */

const require = createRequire(import.meta.url);

/** The key under which a DialogStateManager looks for its configuration in the turn state. */
const CONFIGURATION_KEY = 'DialogStateManagerConfiguration';

interface Registration {
  getMemoryScopes(): DialogStateManagerConfiguration['memoryScopes'];
  getPathResolvers(): DialogStateManagerConfiguration['pathResolvers'];
}

type RegistrationClass = (new () => Registration) & { shared?: Registration };

const registrationModule = require('botbuilder-dialogs/lib/dialogsComponentRegistration') as {
  DialogsComponentRegistration: RegistrationClass;
};

let configuration: DialogStateManagerConfiguration | undefined;

/** The one registration of the process: `new` on the replaced class returns it. */
function sharedRegistration(): Registration {
  const current = registrationModule.DialogsComponentRegistration;
  if (current.shared) return current.shared;
  const instance = new current();
  // A constructor that returns an object makes `new` return it. The name and prototype stay the
  // original's: ComponentRegistration.add keys registrations by their constructor's name.
  const Shared = function DialogsComponentRegistration() {
    return instance;
  } as unknown as RegistrationClass;
  Shared.prototype = current.prototype;
  Shared.shared = instance;
  registrationModule.DialogsComponentRegistration = Shared;
  return instance;
}

/**
 * Gives the turn the process's dialog memory configuration, so that its DialogStateManagers neither
 * register nor build anything. Call before creating the turn's first DialogContext.
 */
export function shareDialogMemory(context: TurnContext): void {
  if (!configuration) {
    const registration = sharedRegistration();
    configuration = {
      memoryScopes: registration.getMemoryScopes(),
      pathResolvers: registration.getPathResolvers(),
    };
  }
  context.turnState.set(CONFIGURATION_KEY, configuration);
}
