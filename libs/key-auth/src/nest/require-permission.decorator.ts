import type { ExecutionContext } from '@nestjs/common';
import { applyDecorators, createParamDecorator, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Permission } from '@keyward/contracts';
import type { AuthorizedKey } from '../authorize/auth-outcome';

export const REQUIRED_PERMISSION = 'keyward:required-permission';

/**
 * The catalog permission a route needs; the key guard checks it before the handler runs. It is
 * also the operation's `x-permission` in the OpenAPI document, from which the document derives
 * the keys the operation accepts (public and private, or private only).
 */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(REQUIRED_PERMISSION, permission), ApiExtension('x-permission', permission));

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
