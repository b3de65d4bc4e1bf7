import type { TechnicianRef } from '@keyward/contracts';
import { DeviceRuleViolation } from './device-rule-violation';

/** Validation and normalisation of command values, shared by every command that takes them. */

/** The operating systems a device can run; `other` for anything else. */
export const DEVICE_OS_VALUES = ['windows', 'macos', 'linux', 'ios', 'android', 'chromeos', 'other'] as const;
export type DeviceOs = (typeof DEVICE_OS_VALUES)[number];

export const NAME_MAX_LENGTH = 200;
/** RFC 1123 / RFC 1035: at most 253 characters in the text form, labels of 1 to 63. */
export const HOSTNAME_MAX_LENGTH = 253;
export const HOSTNAME_LABEL_MAX_LENGTH = 63;
export const TAGS_MAX = 20;
export const TAG_MAX_LENGTH = 40;
/** What a technician id looks like (the path pattern of the technicians service). */
export const TECHNICIAN_ID_PATTERN = /^tech_[A-Za-z0-9_]{4,64}$/;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** Letters, digits and hyphens, neither first nor last (RFC 1123 allows a leading digit). */
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const TAG = new RegExp(`^[a-z0-9\\-_:.]{1,${TAG_MAX_LENGTH}}$`);

/** Lengths count code points, so an emoji is one character as a user sees it. */
function length(text: string): number {
  return [...text].length;
}

export function isDeviceOs(value: string): value is DeviceOs {
  return (DEVICE_OS_VALUES as readonly string[]).includes(value);
}

export function normaliseName(name: string): string {
  const trimmed = name.trim();
  const n = length(trimmed);
  if (n < 1 || n > NAME_MAX_LENGTH || CONTROL_CHARACTERS.test(trimmed)) {
    throw new DeviceRuleViolation('invalid_name', `name must be 1 to ${NAME_MAX_LENGTH} characters (after trimming), without control characters`);
  }
  return trimmed;
}

/** Case-insensitive: `Windows` is `windows`. */
export function normaliseOs(os: string): DeviceOs {
  const normalised = os.trim().toLowerCase();
  if (!isDeviceOs(normalised)) {
    throw new DeviceRuleViolation('unsupported_os', `os must be one of ${DEVICE_OS_VALUES.join(', ')}`, { allowed: DEVICE_OS_VALUES });
  }
  return normalised;
}

/**
 * A host name per RFC 1123 (dot-separated labels of letters, digits and inner hyphens, at most 253
 * characters), compared and stored in lower case; one trailing dot (the DNS root) is dropped.
 */
export function normaliseHostname(hostname: string): string {
  let h = hostname.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  const labels = h.split('.');
  const valid = h.length >= 1 && h.length <= HOSTNAME_MAX_LENGTH
    && labels.every((label) => label.length <= HOSTNAME_LABEL_MAX_LENGTH && HOSTNAME_LABEL.test(label));
  if (!valid) {
    throw new DeviceRuleViolation('invalid_hostname',
      `hostname must be RFC 1123 labels (letters, digits, inner hyphens; 1 to ${HOSTNAME_LABEL_MAX_LENGTH} each) joined by dots, at most ${HOSTNAME_MAX_LENGTH} characters`,
      { hostname });
  }
  return h;
}

/**
 * Tags are a set: trimmed, lower-cased, de-duplicated and sorted (so equal sets are equal
 * arrays). Each is 1 to 40 of `a-z 0-9 - _ : .`; at most 20 once de-duplicated.
 */
export function normaliseTags(tags: readonly string[]): string[] {
  const set = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (!TAG.test(tag)) {
      throw new DeviceRuleViolation('invalid_tag', `tag ${JSON.stringify(raw)} must be 1 to ${TAG_MAX_LENGTH} characters of a-z, 0-9, -, _, : and .`, { tag: raw });
    }
    set.add(tag);
  }
  if (set.size > TAGS_MAX) {
    throw new DeviceRuleViolation('too_many_tags', `a device has at most ${TAGS_MAX} tags`, { max: TAGS_MAX, given: set.size });
  }
  return [...set].sort();
}

/** The owner's shape: a technician id, or null for none. */
export function normaliseOwner(ownerTechnicianId: string | null): string | null {
  if (ownerTechnicianId === null) return null;
  if (!TECHNICIAN_ID_PATTERN.test(ownerTechnicianId)) {
    throw new DeviceRuleViolation('invalid_owner_technician_id', 'ownerTechnicianId must be a technician id (tech_ followed by 4 to 64 letters, digits or underscores) or null');
  }
  return ownerTechnicianId;
}

/**
 * A new owner must be an active technician of the device's account, as the technicians mirror
 * knows it: another account's technician is as unknown as one that does not exist.
 */
export function assertOwnerKnown(ownerTechnicianId: string, known: TechnicianRef | null | undefined): void {
  if (!known || known.id !== ownerTechnicianId) {
    throw new DeviceRuleViolation('unknown_technician',
      `technician ${ownerTechnicianId} is not known to the devices service in this account. A technician registered a moment ago `
      + 'may not have reached it yet (services learn technicians from technicians.events): retry shortly.',
      { technicianId: ownerTechnicianId });
  }
  if (!known.active) {
    throw new DeviceRuleViolation('technician_deactivated', `technician ${ownerTechnicianId} is deactivated and cannot own devices`, { technicianId: ownerTechnicianId });
  }
}

export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
