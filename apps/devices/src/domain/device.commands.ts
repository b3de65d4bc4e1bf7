import type { Command, TechnicianRef } from '@keyward/contracts';

/**
 * Commands of the Device aggregate, imperative and string-discriminated. Values arrive as the
 * caller sent them: `decide` validates and normalises them. `by` is the id of the acting key.
 *
 * A new `ownerTechnicianId` arrives with `ownerTechnician`: that technician as this service's
 * technicians mirror (from technicians.events) has it in the caller's account, null when unknown
 * there (another account's technician is unknown). The handler looks it up, so `decide` stays pure.
 * The owner is checked when it is set or changed; a device whose owner is deactivated later keeps it.
 */
export type RegisterDevice = Command<'RegisterDevice', {
  readonly name: string;
  readonly os: string;
  readonly hostname: string;
  /** Default none. */
  readonly tags?: readonly string[];
  /** Default null (no owner). */
  readonly ownerTechnicianId?: string | null;
  /** The owner as the technicians mirror has it in the account (null: unknown there). */
  readonly ownerTechnician?: TechnicianRef | null;
  readonly by: string;
}>;

/** Only the given fields are changed; at least one must be given. `tags` replaces the whole set; `ownerTechnicianId: null` clears the owner. */
export type UpdateDevice = Command<'UpdateDevice', {
  readonly name?: string;
  readonly os?: string;
  readonly hostname?: string;
  readonly tags?: readonly string[];
  readonly ownerTechnicianId?: string | null;
  /** The owner as the technicians mirror has it in the account (null: unknown there). */
  readonly ownerTechnician?: TechnicianRef | null;
  readonly by: string;
}>;

export type RemoveDevice = Command<'RemoveDevice', { readonly by: string }>;

export type DeviceCommand = RegisterDevice | UpdateDevice | RemoveDevice;
