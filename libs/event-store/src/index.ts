export * from './errors';
export * from './mongo-event-store';
export * from './outbox-relay';
export * from './stored-event';
export * from './nest/event-store.module';
