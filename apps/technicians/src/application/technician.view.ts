import type { Page } from '@keyward/event-store';
import type { TechnicianAggregate, TechnicianStatus } from '../domain';

/**
 * A technician as the API shows it, and as the read model (`technicians` collection) keeps it:
 * the same object, so a view read back is answered as is. Instants are ISO-8601 UTC strings.
 */
export interface TechnicianView {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly email: string;
  readonly status: TechnicianStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deactivatedAt: string | null;
  readonly version: number;
}

/** One page of a list, newest first. */
export type TechnicianPage = Page<TechnicianView>;

/** Every field explicit (no undefined), so a view folded again on replay equals the stored one. */
export function toTechnicianView(_id: string, state: TechnicianAggregate): TechnicianView | undefined {
  if (state === null) return undefined;
  return {
    id: state.id,
    accountId: state.accountId,
    name: state.name,
    email: state.email,
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    deactivatedAt: state.deactivatedAt,
    version: state.version,
  };
}
