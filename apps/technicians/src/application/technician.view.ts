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

export interface TechnicianPage {
  readonly items: TechnicianView[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

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
