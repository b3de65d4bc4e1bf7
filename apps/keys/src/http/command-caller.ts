import type { Actor, Permission } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';

/**
 * Who sends a key command: recorded as `by`, and judged by what its key holds, so the domain can
 * refuse a caller weaker than the key it acts on, or granting what it lacks (api-key.authority.ts).
 */
export function by(caller: AuthorizedKey): { by: Actor; callerPermissions: Permission[] } {
  return { by: caller.keyId, callerPermissions: [...caller.permissions] };
}
