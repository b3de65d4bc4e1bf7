export * from './catalog/operation-catalog';
export * from './events/event-envelope';
export * from './keys/key-events';
export * from './keys/key-token';
export * from './keys/one-year';
export * from './services/services';
