export * from './operator-api.module';
export * from './republisher';
