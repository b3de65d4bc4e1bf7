import type { Command } from '@keyward/contracts';

/**
 * Commands of the Technician aggregate, imperative and string-discriminated. Values arrive as the
 * caller sent them: `decide` validates and normalises them. `by` is the id of the acting key.
 *
 * `emailHolder` is a lookup made before deciding (injected, so `decide` stays pure): the id of
 * another ACTIVE technician of the account that the read model shows holding the (normalised)
 * email, or null. It is a read-model check, not a guarantee: two concurrent requests for the same
 * email can both see null and both succeed. Uniqueness across streams would need a reservation
 * stream per email (or a unique index on a dedicated collection); the brief accepts the race.
 */
export type RegisterTechnician = Command<'RegisterTechnician', {
  readonly name: string;
  readonly email: string;
  readonly by: string;
  readonly emailHolder: string | null;
}>;

/** Only the given fields are changed; at least one must be given. */
export type UpdateTechnician = Command<'UpdateTechnician', {
  readonly name?: string;
  readonly email?: string;
  readonly by: string;
  readonly emailHolder: string | null;
}>;

export type DeactivateTechnician = Command<'DeactivateTechnician', {
  readonly by: string;
  readonly reason?: string;
}>;

export type TechnicianCommand = RegisterTechnician | UpdateTechnician | DeactivateTechnician;
