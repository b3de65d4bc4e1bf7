/** DI tokens of what the runtime provides to every service. */
export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const MONGO_CONNECTION = Symbol('MongoConnection');
export const KAFKA = Symbol('Kafka');
