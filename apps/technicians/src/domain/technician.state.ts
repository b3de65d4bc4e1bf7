import type { TechnicianEventEnvelope } from '@keyward/contracts';
import { assertStreamStart, assertStreamStarted, definedFields, unhandledEvent } from '@keyward/contracts';

export type TechnicianStatus = 'active' | 'deactivated';

export const TECHNICIAN_STATUSES: readonly TechnicianStatus[] = ['active', 'deactivated'];

/** The Technician aggregate as folded from its events; `null` until `TechnicianRegistered`. */
export interface TechnicianState {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** Trimmed and lower-cased. */
  readonly email: string;
  readonly status: TechnicianStatus;
  /** ISO-8601 UTC instants, from the events' `occurredAt`. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deactivatedAt: string | null;
  /** The version of the last event applied. */
  readonly version: number;
}

export type TechnicianAggregate = TechnicianState | null;

export function initialState(): TechnicianAggregate {
  return null;
}

/**
 * Applies one stored event. A stream that breaks the aggregate's own rules (an event before
 * `TechnicianRegistered`, a second one) is corrupt, so it throws rather than guessing.
 */
export function evolve(state: TechnicianAggregate, event: TechnicianEventEnvelope): TechnicianState {
  if (event.type === 'TechnicianRegistered') {
    assertStreamStart(state, event, 'technician');
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      name: event.data.name,
      email: event.data.email,
      status: 'active',
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
      deactivatedAt: null,
      version: event.version,
    };
  }
  assertStreamStarted(state, event, 'technician', 'registered');
  switch (event.type) {
    case 'TechnicianUpdated':
      return {
        ...state,
        ...definedFields({ name: event.data.name, email: event.data.email }),
        updatedAt: event.occurredAt,
        version: event.version,
      };
    case 'TechnicianDeactivated':
      return { ...state, status: 'deactivated', deactivatedAt: event.occurredAt, updatedAt: event.occurredAt, version: event.version };
    default:
      return unhandledEvent('technician', event);
  }
}
