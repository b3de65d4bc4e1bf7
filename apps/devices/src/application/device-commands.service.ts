import { Inject, Injectable } from '@nestjs/common';
import { assertMirrorAvailable } from '@keyward/projections';
import { newId } from '@keyward/service-runtime';
import type { DeviceCommand, RegisterDevice, TechnicianRef, UpdateDevice } from '../domain';
import type { TechniciansMirror } from '../mirrors/technicians-mirror.provider';
import { TECHNICIANS_MIRROR } from '../mirrors/technicians-mirror.provider';
import type { DeviceAggregates } from './device.aggregate';
import { DEVICE_AGGREGATES } from './device.aggregate';
import type { DeviceView } from './device.view';
import { toDeviceView } from './device.view';

export interface ActingKey {
  readonly accountId: string;
  /** The acting key's id, recorded as `by`. */
  readonly keyId: string;
}

type Fields<C extends { data: object }> = Omit<C['data'], 'by' | 'ownerTechnician'>;

/**
 * The command side: runs a command against the aggregate (load, decide, append at the loaded
 * version, update the read model) and answers the device as it now is. Rule violations and
 * concurrent appends reach the HTTP layer as they are (409/422/404 problem+json).
 */
@Injectable()
export class DeviceCommands {
  constructor(
    @Inject(DEVICE_AGGREGATES) private readonly aggregates: DeviceAggregates,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
  ) {}

  register(actor: ActingKey, fields: Fields<RegisterDevice>): Promise<DeviceView> {
    return this.run(newId('dev'), actor, { type: 'RegisterDevice', data: { ...fields, ...this.owner(actor, fields.ownerTechnicianId), by: actor.keyId } });
  }

  update(actor: ActingKey, id: string, fields: Fields<UpdateDevice>): Promise<DeviceView> {
    return this.run(id, actor, { type: 'UpdateDevice', data: { ...fields, ...this.owner(actor, fields.ownerTechnicianId), by: actor.keyId } });
  }

  /**
   * A named owner looked up in the technicians mirror, in the caller's account. Until the mirror
   * has caught up, "unknown" could mean "not read yet": 503 `references_unavailable`.
   */
  private owner(actor: ActingKey, ownerTechnicianId: string | null | undefined): { ownerTechnician?: TechnicianRef | null } {
    if (typeof ownerTechnicianId !== 'string') return {};
    assertMirrorAvailable(this.technicians);
    const known = this.technicians.index.find(actor.accountId, ownerTechnicianId);
    return { ownerTechnician: known ? { id: known.id, active: known.active } : null };
  }

  /** Idempotent: a removed device is answered as it is. */
  remove(actor: ActingKey, id: string): Promise<DeviceView> {
    return this.run(id, actor, { type: 'RemoveDevice', data: { by: actor.keyId } });
  }

  private async run(id: string, actor: ActingKey, command: DeviceCommand): Promise<DeviceView> {
    const { state } = await this.aggregates.execute(id, actor.accountId, command);
    const view = toDeviceView(id, state);
    if (!view) throw new Error(`device command ${command.type} left no device ${id}`);
    return view;
  }
}
