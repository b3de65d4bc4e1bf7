import type { DeviceEvent } from '@keyward/contracts';
import type { DeviceCommand, RegisterDevice, RemoveDevice, UpdateDevice } from './device.commands';
import type { DeviceAggregate, DeviceState } from './device.state';
import { assertOwnerKnown, normaliseHostname, normaliseName, normaliseOs, normaliseOwner, normaliseTags, sameTags } from './device.rules';
import { DeviceRuleViolation } from './device-rule-violation';

/**
 * Decides what a command means for a device: the events to record (`[]` when it changes nothing)
 * or a DeviceRuleViolation. Pure; `now` is unused today but part of the contract.
 */
export function decide(command: DeviceCommand, state: DeviceAggregate, _now: Date): DeviceEvent[] {
  if (command.type === 'RegisterDevice') return register(command, state);
  if (state === null) throw new DeviceRuleViolation('device_not_found', 'no such device');
  switch (command.type) {
    case 'UpdateDevice':
      return update(command, state);
    case 'RemoveDevice':
      return remove(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unhandled device command ${(unknown as { type: string }).type}`);
    }
  }
}

function register(command: RegisterDevice, state: DeviceAggregate): DeviceEvent[] {
  if (state !== null) throw new DeviceRuleViolation('device_exists', `device ${state.id} already exists`);
  const c = command.data;
  const owner = normaliseOwner(c.ownerTechnicianId ?? null);
  if (owner !== null) assertOwnerKnown(owner, c.ownerTechnician);
  return [{
    type: 'DeviceRegistered',
    schemaVersion: 1,
    data: {
      name: normaliseName(c.name),
      os: normaliseOs(c.os),
      hostname: normaliseHostname(c.hostname),
      tags: normaliseTags(c.tags ?? []),
      ownerTechnicianId: owner,
      by: c.by,
    },
  }];
}

function update(command: UpdateDevice, state: DeviceState): DeviceEvent[] {
  const c = command.data;
  if (c.name === undefined && c.os === undefined && c.hostname === undefined && c.tags === undefined && c.ownerTechnicianId === undefined) {
    throw new DeviceRuleViolation('nothing_to_update', 'give at least one of name, os, hostname, tags and ownerTechnicianId');
  }
  if (state.status === 'removed') throw new DeviceRuleViolation('device_removed', `device ${state.id} is removed and cannot be changed`);
  const name = c.name !== undefined ? normaliseName(c.name) : undefined;
  const os = c.os !== undefined ? normaliseOs(c.os) : undefined;
  const hostname = c.hostname !== undefined ? normaliseHostname(c.hostname) : undefined;
  const tags = c.tags !== undefined ? normaliseTags(c.tags) : undefined;
  const owner = c.ownerTechnicianId !== undefined ? normaliseOwner(c.ownerTechnicianId) : undefined;
  if (owner !== undefined && owner !== null && owner !== state.ownerTechnicianId) assertOwnerKnown(owner, c.ownerTechnician);
  const changed = {
    ...(name !== undefined && name !== state.name ? { name } : {}),
    ...(os !== undefined && os !== state.os ? { os } : {}),
    ...(hostname !== undefined && hostname !== state.hostname ? { hostname } : {}),
    ...(tags !== undefined && !sameTags(tags, state.tags) ? { tags } : {}),
    ...(owner !== undefined && owner !== state.ownerTechnicianId ? { ownerTechnicianId: owner } : {}),
  };
  if (Object.keys(changed).length === 0) return [];
  return [{ type: 'DeviceUpdated', schemaVersion: 1, data: { ...changed, by: c.by } }];
}

function remove(command: RemoveDevice, state: DeviceState): DeviceEvent[] {
  if (state.status === 'removed') return [];
  return [{ type: 'DeviceRemoved', schemaVersion: 1, data: { by: command.data.by } }];
}
