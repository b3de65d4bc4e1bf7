import type { AuthorizedKey } from '@keyward/key-auth';
import type { PublicTicketView, TicketView } from '../application/ticket.view';
import { toPublicTicketView } from '../application/ticket.view';

/** A public key (shipped in a client app) gets only the id, reference and status of what it created. */
export function viewFor(caller: AuthorizedKey, view: TicketView): TicketView | PublicTicketView {
  return caller.kind === 'public' ? toPublicTicketView(view) : view;
}
