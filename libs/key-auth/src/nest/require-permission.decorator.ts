import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator, SetMetadata } from '@nestjs/common';
import type { Permission } from '@keyward/contracts';
import type { AuthorizedKey } from '../authorize/auth-outcome';

export const REQUIRED_PERMISSION = 'keyward:required-permission';

/** The catalog permission a route needs; the key guard checks it before the handler runs. */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSION, permission);

export interface AuthorizedRequest {
  caller?: AuthorizedKey;
}

/** The key that authorized this request (its id, account and permissions). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthorizedKey => {
  const caller = ctx.switchToHttp().getRequest<AuthorizedRequest>().caller;
  // A route that asks for the caller without @RequirePermission is a programming error.
  if (!caller) throw new Error('@Caller() used on a route without @RequirePermission');
  return caller;
});
