/** Every service of the platform, its default HTTP port and the topic it publishes (if any). */
export const SERVICES = {
  edge: { port: 3000, topic: undefined },
  keys: { port: 3001, topic: 'keys.events' },
  sessions: { port: 3002, topic: 'sessions.events' },
  tickets: { port: 3003, topic: 'tickets.events' },
  technicians: { port: 3004, topic: 'technicians.events' },
  devices: { port: 3005, topic: 'devices.events' },
} as const;

export type ServiceName = keyof typeof SERVICES;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export function isServiceName(value: string): value is ServiceName {
  return Object.prototype.hasOwnProperty.call(SERVICES, value);
}

export const KEYS_EVENTS_TOPIC = SERVICES.keys.topic;

/**
 * Partitions of every event topic. Order matters only per aggregate (the message key), so a
 * handful of partitions lets consumers scale out; events are kept forever (replay rebuilds from them).
 */
export const EVENT_TOPIC_PARTITIONS = 3;
