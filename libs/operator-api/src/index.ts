export * from './operator-api.module';
export * from './republisher';
export { bearerOf, isOperatorToken, OperatorGuard } from './operator.guard';
export * from './service-platform.module';
