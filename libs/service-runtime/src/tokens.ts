/** DI tokens of what the runtime provides to every service. */
export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const MONGO_CONNECTION = Symbol('MongoConnection');
export const KAFKA = Symbol('Kafka');
/** InfraStatus: where the database and Kafka stand, and the abort signal of shutdown. */
export const INFRA_STATUS = Symbol('InfraStatus');
