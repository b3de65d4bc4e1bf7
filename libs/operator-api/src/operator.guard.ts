import { createHash, timingSafeEqual } from 'node:crypto';
import type { CanActivate, ExecutionContext, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { Request } from 'express';
import type { ServiceConfig } from '@keyward/config';
import { SERVICE_CONFIG } from '@keyward/service-runtime';

const BEARER = /^Bearer +(\S+) *$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The operator token a request carries (`Authorization: Bearer <token>`), or undefined. */
export function bearerOf(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  return BEARER.exec(authorization)?.[1];
}

/**
 * Whether `presented` is one of `tokens`, in time independent of where they differ: both sides are
 * hashed to 32 bytes (so lengths leak nothing either) and compared with timingSafeEqual, and every
 * token is compared, with no early exit on a match.
 */
export function isOperatorToken(presented: string | undefined, tokens: readonly Buffer[]): boolean {
  if (presented === undefined || tokens.length === 0) return false;
  const given = digest(presented);
  let found = false;
  for (const token of tokens) found = timingSafeEqual(given, token) || found;
  return found;
}

/**
 * Guards the platform's operator routes (/admin/*, /metrics): only a request carrying one of the
 * configured OPERATOR_TOKENS passes. These routes belong to whoever runs the platform, never to an
 * account, so no API key is accepted here, whatever it holds. Every refusal is the 404 an unknown
 * path gets (same code, title and detail), so the routes cannot even be found without the token.
 */
@Injectable()
export class OperatorGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('OperatorGuard');
  private readonly tokens: readonly Buffer[];

  constructor(@Inject(SERVICE_CONFIG) config: ServiceConfig) {
    this.tokens = config.operatorTokens.map(digest);
  }

  onModuleInit(): void {
    if (this.tokens.length === 0) this.logger.warn('OPERATOR_TOKENS is not set: /admin and /metrics answer 404 to everyone');
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (isOperatorToken(bearerOf(req.headers.authorization), this.tokens)) return true;
    // Word for word what Nest answers for a route it does not have.
    throw new NotFoundException(`Cannot ${req.method} ${req.originalUrl}`);
  }
}
