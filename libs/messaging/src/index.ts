export * from './kafka-client';
export * from './kafka-retry';
export * from './watermarks';
export * from './renewable-producer';
