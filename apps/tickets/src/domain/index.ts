export * from './ticket.commands';
export { decide } from './ticket.decide';
export * from './ticket.rules';
export * from './ticket.state';
export * from './ticket-rule-violation';
