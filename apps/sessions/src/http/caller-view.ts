import type { AuthorizedKey } from '@keyward/key-auth';
import type { PublicSessionView, SessionView } from '../application/session.view';
import { toPublicSessionView } from '../application/session.view';

/** A public key (an end user's app) gets only the id, join code and status of what it created. */
export function viewFor(caller: AuthorizedKey, view: SessionView): SessionView | PublicSessionView {
  return caller.kind === 'public' ? toPublicSessionView(view) : view;
}
