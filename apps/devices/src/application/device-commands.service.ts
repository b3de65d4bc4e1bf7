import { Inject, Injectable } from '@nestjs/common';
import type { ExecuteOptions } from '@keyward/event-store';
import { NEW_STREAM } from '@keyward/event-store';
import type { AuthorizedKey } from '@keyward/key-auth';
import type { TechnicianRef } from '@keyward/contracts';
import type { TechniciansMirror } from '@keyward/projections';
import { TECHNICIANS_MIRROR, technicianRef } from '@keyward/projections';
import { newId } from '@keyward/service-runtime';
import type { DeviceCommand, RegisterDevice, UpdateDevice } from '../domain';
import { DeviceRuleViolation } from '../domain';
import type { DeviceAggregates } from './device.aggregate';
import { DEVICE_AGGREGATES } from './device.aggregate';
import type { DeviceView } from './device.view';
import { toDeviceView } from './device.view';

/** What a controller passes: the request's values as sent; the caller adds `by` and the owner lookup. */
type Fields<C extends { data: object }> = Omit<C['data'], 'by' | 'ownerTechnician'>;

/**
 * The command side: builds each command from the request's values and the caller, runs it
 * against the aggregate (load, decide, append at the loaded version, update the read model) and
 * answers the device as it now is. Rule violations and concurrent appends reach the HTTP layer as
 * they are (409/422/404 problem+json).
 */
@Injectable()
export class DeviceCommands {
  constructor(
    @Inject(DEVICE_AGGREGATES) private readonly aggregates: DeviceAggregates,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
  ) {}

  async register(caller: AuthorizedKey, fields: Fields<RegisterDevice>): Promise<DeviceView> {
    return this.run(newId('dev'), caller.accountId, { type: 'RegisterDevice', data: { ...fields, ...this.owner(caller, fields.ownerTechnicianId), by: caller.keyId } }, NEW_STREAM);
  }

  async update(caller: AuthorizedKey, id: string, fields: Fields<UpdateDevice>): Promise<DeviceView> {
    return this.run(id, caller.accountId, { type: 'UpdateDevice', data: { ...fields, ...this.owner(caller, fields.ownerTechnicianId), by: caller.keyId } });
  }

  /** Idempotent: a removed device is answered as it is. */
  remove(caller: AuthorizedKey, id: string): Promise<DeviceView> {
    return this.run(id, caller.accountId, { type: 'RemoveDevice', data: { by: caller.keyId } });
  }

  /**
   * A named owner looked up in the technicians mirror, in the caller's account. Until the mirror
   * has caught up, "unknown" could mean "not read yet": 503 `references_unavailable`.
   */
  private owner(caller: AuthorizedKey, ownerTechnicianId: string | null | undefined): { ownerTechnician?: TechnicianRef | null } {
    if (typeof ownerTechnicianId !== 'string') return {};
    return { ownerTechnician: technicianRef(this.technicians, caller.accountId, ownerTechnicianId) };
  }

  private async run(id: string, accountId: string, command: DeviceCommand, options: ExecuteOptions = {}): Promise<DeviceView> {
    const { state } = await this.aggregates.execute(id, accountId, command, options);
    const view = toDeviceView(id, state);
    if (!view) throw new DeviceRuleViolation('device_not_found', `device ${id} does not exist`);
    return view;
  }
}
