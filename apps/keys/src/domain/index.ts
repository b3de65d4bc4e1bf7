export * from './api-key.commands';
export { decide } from './api-key.decide';
export {
  ALLOWED_IPS_MAX,
  GRACE_PERIOD_MAX_SECONDS,
  NAME_MAX_LENGTH,
  parseInstant,
  REASON_MAX_LENGTH,
} from './api-key.rules';
export * from './api-key.state';
export * from './key-rule-violation';
export * from './rotation-due';
