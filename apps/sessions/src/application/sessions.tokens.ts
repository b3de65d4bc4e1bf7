import type { SessionEventEnvelope } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import type { EntityMirror, IndexedProjection } from '@keyward/projections';
import type { SessionAggregate, SessionCommand } from '../domain';
import type { DeviceMirrorView } from '../mirrors/device.mirror';
import type { TechnicianMirrorView } from '@keyward/projections';
import type { TicketMirrorView } from '../mirrors/ticket.mirror';
import type { SessionView } from './session-view';

/** DI tokens of the sessions service. */
export const SESSION_STORE = Symbol('SessionStore');
export const SESSION_VIEWS = Symbol('SessionViews');
export const TECHNICIANS_MIRROR = Symbol('TechniciansMirror');
export const DEVICES_MIRROR = Symbol('DevicesMirror');
export const TICKETS_MIRROR = Symbol('TicketsMirror');

export type SessionStore = AggregateStore<SessionAggregate, SessionCommand, SessionEventEnvelope>;
export type SessionViews = MongoViewStore<SessionView>;
export type TechniciansMirror = IndexedProjection<TechnicianMirrorView, EntityMirror<TechnicianMirrorView>>;
export type DevicesMirror = IndexedProjection<DeviceMirrorView, EntityMirror<DeviceMirrorView>>;
export type TicketsMirror = IndexedProjection<TicketMirrorView, EntityMirror<TicketMirrorView>>;
