export * from './problem';
export * from './problem.filter';
export * from './validation';
export * from './database-errors';
export * from './safe-text';
