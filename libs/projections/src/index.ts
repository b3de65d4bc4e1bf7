export * from './projection';
export * from './projection-registry';
export * from './topic-reader';
export * from './indexed-projection';
export * from './entity-mirror';
export * from './nest/indexed-projection.provider';
export * from './mirrors/technician.mirror';
export * from './mirror-availability';
