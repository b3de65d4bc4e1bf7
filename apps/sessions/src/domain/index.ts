export * from './session.commands';
export { decide } from './session.decide';
export * from './session.rules';
export * from './session.state';
export * from './session-rule-violation';
