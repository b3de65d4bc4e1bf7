/**
 * Commands of the Device aggregate, imperative and string-discriminated. Values arrive as the
 * caller sent them: `decide` validates and normalises them. `by` is the id of the acting key.
 *
 * `ownerTechnicianId` is checked for its shape only (`tech_…`): the devices service consumes
 * nothing but keys.events, so it cannot know whether that technician exists, is active, or
 * belongs to the account. Consumers that join devices to technicians must allow for a dangling
 * owner.
 */
interface DeviceCommandOf<TType extends string, TData> {
  readonly type: TType;
  readonly data: TData;
}

export type RegisterDevice = DeviceCommandOf<'RegisterDevice', {
  readonly name: string;
  readonly os: string;
  readonly hostname: string;
  /** Default none. */
  readonly tags?: readonly string[];
  /** Default null (no owner). */
  readonly ownerTechnicianId?: string | null;
  readonly by: string;
}>;

/** Only the given fields are changed; at least one must be given. `tags` replaces the whole set; `ownerTechnicianId: null` clears the owner. */
export type UpdateDevice = DeviceCommandOf<'UpdateDevice', {
  readonly name?: string;
  readonly os?: string;
  readonly hostname?: string;
  readonly tags?: readonly string[];
  readonly ownerTechnicianId?: string | null;
  readonly by: string;
}>;

export type RemoveDevice = DeviceCommandOf<'RemoveDevice', { readonly by: string }>;

export type DeviceCommand = RegisterDevice | UpdateDevice | RemoveDevice;
