import type { SessionOutcome, SessionStatus } from '@keyward/contracts';
import type { Page } from '@keyward/event-store';
import type { SessionAggregate } from '../domain';

/** A session as the API answers it to a private key, and as the read model stores it. */
export interface SessionView {
  readonly id: string;
  readonly accountId: string;
  readonly code: string;
  readonly deviceId: string | null;
  readonly ticketId: string | null;
  readonly technicianId: string | null;
  readonly status: SessionStatus;
  readonly outcome: SessionOutcome | null;
  readonly notes: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly version: number;
}

/** One page of a list, newest first. */
export type SessionPage = Page<SessionView>;

/** All a public key (an end user's app) gets back: the id, the join code and the status. */
export interface PublicSessionView {
  readonly id: string;
  readonly code: string;
  readonly status: SessionStatus;
}

export function toSessionView(_id: string, state: SessionAggregate): SessionView | undefined {
  if (state === null) return undefined;
  return {
    id: state.id,
    accountId: state.accountId,
    code: state.code,
    deviceId: state.deviceId,
    ticketId: state.ticketId,
    technicianId: state.technicianId,
    status: state.status,
    outcome: state.outcome,
    notes: state.notes,
    createdAt: state.createdAt,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    version: state.version,
  };
}

export function toPublicSessionView(view: SessionView): PublicSessionView {
  return { id: view.id, code: view.code, status: view.status };
}

