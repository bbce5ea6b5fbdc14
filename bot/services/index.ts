import type { Connection } from 'mongoose';
import { ConsentService } from './consents.js';
import { LinkService } from './links.js';
import { PeopleService } from './people.js';
import { ProposalService } from './proposals.js';

/** The services dialogs may use. Dialogs never import models/. */
export interface Services {
  people: PeopleService;
  consents: ConsentService;
  links: LinkService;
  proposals: ProposalService;
}

export function createServices(conn: Connection): Services {
  return {
    people: new PeopleService(conn),
    consents: new ConsentService(conn),
    links: new LinkService(conn),
    proposals: new ProposalService(conn),
  };
}
