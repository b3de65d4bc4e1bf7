export * from './projection';
export * from './projection-registry';
export * from './topic-reader';
