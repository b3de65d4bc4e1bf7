import type { EventEnvelope } from '../events/event-envelope';

/** Events of the Technician aggregate, on `technicians.events`, schemaVersion 1. Ids: `tech_…`. */
export interface TechnicianEventDataByType {
  TechnicianRegistered: { readonly name: string; readonly email: string; readonly by: string };
  /** Only the fields that changed. */
  TechnicianUpdated: { readonly name?: string; readonly email?: string; readonly by: string };
  TechnicianDeactivated: { readonly by: string; readonly reason?: string };
}

export type TechnicianEventType = keyof TechnicianEventDataByType;
export const TECHNICIAN_EVENT_TYPES: readonly TechnicianEventType[] = ['TechnicianRegistered', 'TechnicianUpdated', 'TechnicianDeactivated'];
export type TechnicianEvent = { [T in TechnicianEventType]: { readonly type: T; readonly schemaVersion: 1; readonly data: TechnicianEventDataByType[T] } }[TechnicianEventType];
export type TechnicianEventEnvelope = { [T in TechnicianEventType]: EventEnvelope<T, TechnicianEventDataByType[T]> }[TechnicianEventType];
