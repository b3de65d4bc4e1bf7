export * from './device.commands';
export { decide } from './device.decide';
export {
  DEVICE_OS_VALUES,
  HOSTNAME_MAX_LENGTH,
  NAME_MAX_LENGTH,
  TAG_MAX_LENGTH,
  TAGS_MAX,
  TECHNICIAN_ID_PATTERN,
} from './device.rules';
export type { DeviceOs } from './device.rules';
export * from './device.state';
export * from './device-rule-violation';
