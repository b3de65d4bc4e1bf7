export * from './technician.commands';
export { decide } from './technician.decide';
export { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, normaliseEmail, REASON_MAX_LENGTH } from './technician.rules';
export * from './technician.state';
export * from './technician-rule-violation';
