/**
 * Another service's entity as a command carries it: looked up in the caller's account in the
 * service's mirror of that entity (`null` when the mirror does not know it there; another
 * account's entity is unknown), so `decide` judges the reference without a lookup. The same in
 * every service that refers to it, as the mirror it comes from is (libs/projections).
 */
export interface TechnicianRef {
  readonly id: string;
  readonly active: boolean;
}

export interface DeviceRef {
  readonly id: string;
  readonly removed: boolean;
}
