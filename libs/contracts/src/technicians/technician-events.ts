import type { DomainEventOf, EnvelopeOf } from '../events/event-map';

/** Events of the Technician aggregate, on `technicians.events`, schemaVersion 1. Ids: `tech_…`. */
export interface TechnicianEventDataByType {
  TechnicianRegistered: { readonly name: string; readonly email: string; readonly by: string };
  /** Only the fields that changed. */
  TechnicianUpdated: { readonly name?: string; readonly email?: string; readonly by: string };
  TechnicianDeactivated: { readonly by: string; readonly reason?: string };
}

export type TechnicianEventType = keyof TechnicianEventDataByType;
export type TechnicianEvent = DomainEventOf<TechnicianEventDataByType>;
export type TechnicianEventEnvelope = EnvelopeOf<TechnicianEventDataByType>;
