import type { TicketStatus } from '@keyward/contracts';
import type { Page } from '@keyward/event-store';
import type { TicketAggregate } from '../domain';

/** A ticket as the API answers it to a private key, and as the read model stores it. */
export interface TicketView {
  readonly id: string;
  readonly accountId: string;
  readonly reference: string;
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly contact: string | null;
  readonly problemDescription: string;
  readonly deviceId: string | null;
  readonly status: TicketStatus;
  readonly technicianId: string | null;
  readonly sessionId: string | null;
  readonly resolution: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly version: number;
}

/** One page of a list, newest first. */
export type TicketPage = Page<TicketView>;

/** All a public key (one shipped in a client app) gets back: never other tickets, never details. */
export interface PublicTicketView {
  readonly id: string;
  readonly reference: string;
  readonly status: TicketStatus;
}

export function toTicketView(_id: string, state: TicketAggregate): TicketView | undefined {
  if (state === null) return undefined;
  return {
    id: state.id,
    accountId: state.accountId,
    reference: state.reference,
    requesterName: state.requesterName,
    requesterEmail: state.requesterEmail,
    contact: state.contact,
    problemDescription: state.problemDescription,
    deviceId: state.deviceId,
    status: state.status,
    technicianId: state.technicianId,
    sessionId: state.sessionId,
    resolution: state.resolution,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    closedAt: state.closedAt,
    version: state.version,
  };
}

export function toPublicTicketView(view: TicketView): PublicTicketView {
  return { id: view.id, reference: view.reference, status: view.status };
}
