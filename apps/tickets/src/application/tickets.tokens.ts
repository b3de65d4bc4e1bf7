import type { TicketEventEnvelope } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import type { EntityMirror, IndexedProjection } from '@keyward/projections';
import type { TicketAggregate, TicketCommand } from '../domain';
import type { SessionMirrorView } from '../mirrors/session.mirror';
import type { DeviceMirrorView, TechnicianMirrorView } from '@keyward/projections';
import type { TicketView } from './ticket-view';

/** DI tokens of the tickets service. */
export const TICKET_STORE = Symbol('TicketStore');
export const TICKET_VIEWS = Symbol('TicketViews');
export const TECHNICIANS_MIRROR = Symbol('TechniciansMirror');
export const SESSIONS_MIRROR = Symbol('SessionsMirror');
export const DEVICES_MIRROR = Symbol('DevicesMirror');

export type TicketStore = AggregateStore<TicketAggregate, TicketCommand, TicketEventEnvelope>;
export type TicketViews = MongoViewStore<TicketView>;
export type TechniciansMirror = IndexedProjection<TechnicianMirrorView, EntityMirror<TechnicianMirrorView>>;
export type DevicesMirror = IndexedProjection<DeviceMirrorView, EntityMirror<DeviceMirrorView>>;
export type SessionsMirror = IndexedProjection<SessionMirrorView, EntityMirror<SessionMirrorView>>;
