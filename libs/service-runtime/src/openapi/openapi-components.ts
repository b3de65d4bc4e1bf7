import type { ComponentsObject, ReferenceObject, ResponseObject, SchemaObject, SecuritySchemeObject, TagObject } from '@nestjs/swagger';
import type { ServiceName } from '@keyward/contracts';
import { PUBLIC_SAFE_PERMISSIONS } from '@keyward/contracts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '@keyward/problem';

export type SecuritySchemeName = 'publicKey' | 'privateKey';

const SEND_IT = 'Send it as `Authorization: Bearer <key>`, or in the `X-API-Key: <key>` header.';

/** The two kinds of API key, as OpenAPI security schemes (an operation lists the ones it accepts). */
export const SECURITY_SCHEMES: Readonly<Record<SecuritySchemeName, SecuritySchemeObject>> = {
  publicKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'kw_pk_… (public API key: kw_pk_ and 49 base62 characters)',
    description: `A **public** API key, safe to ship inside a client app: it may hold only the public-safe permissions (${PUBLIC_SAFE_PERMISSIONS.map((p) => `\`${p}\``).join(', ')}). ${SEND_IT}`,
  },
  privateKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'kw_sk_… (private API key: kw_sk_ and 49 base62 characters)',
    description: `A **private** API key, for servers only: it may hold any permission. ${SEND_IT}`,
  },
};

/** RFC 9457 problem details: every error of the API has this shape. */
export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details, served as `application/problem+json`; branch on `code`, which is stable.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', example: `${PROBLEM_TYPE_BASE}permission_denied` },
    title: { type: 'string', example: 'Forbidden' },
    status: { type: 'integer', example: 403 },
    code: { type: 'string', description: 'Stable machine-readable code of the problem', example: 'permission_denied' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request path' },
  },
  additionalProperties: true,
};

export type ProblemResponseName = 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'Conflict' | 'UnprocessableEntity' | 'AuthorizationUnavailable';

const problem = (description: string): ResponseObject => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The error answers every service shares, defined once and referenced by each operation. */
export const PROBLEM_RESPONSES: Readonly<Record<ProblemResponseName, ResponseObject>> = {
  BadRequest: problem('The request is not valid: `malformed_json`, `validation_failed` (with the fields), an id that does not look like one'),
  Unauthorized: problem('No usable key: `missing_key`, `malformed_key`, `unknown_key`, `key_disabled`, `key_expired`, `key_revoked`'),
  Forbidden: problem('The key may not do this from here: `ip_not_allowed`, `permission_denied`, `public_key_not_allowed`'),
  NotFound: problem('Not found in the caller\'s account (another account\'s ids answer 404 too)'),
  Conflict: problem('The resource\'s state does not allow this, or another request changed it at the same moment (`concurrent_modification`: retry)'),
  UnprocessableEntity: problem('The request breaks a rule of the domain (the `code` names the rule)'),
  AuthorizationUnavailable: problem('`authorization_unavailable`: keys cannot be checked right now (the key projection is catching up or stale); retry shortly'),
};

export const PROBLEM_STATUS: Readonly<Record<ProblemResponseName, string>> = {
  BadRequest: '400', Unauthorized: '401', Forbidden: '403', NotFound: '404', Conflict: '409', UnprocessableEntity: '422', AuthorizationUnavailable: '503',
};

export function responseRef(name: ProblemResponseName): ReferenceObject {
  return { $ref: `#/components/responses/${name}` };
}

/** What every document needs besides its own schemas: the key schemes and the problem answers. */
export function sharedComponents(): ComponentsObject {
  return {
    securitySchemes: { ...SECURITY_SCHEMES },
    responses: { ...PROBLEM_RESPONSES },
    schemas: { Problem: PROBLEM_SCHEMA },
  };
}

/** One tag per API, so a reader sees the operations grouped as the product presents them. */
export const API_TAGS: Readonly<Record<Exclude<ServiceName, 'edge'>, TagObject>> = {
  keys: { name: 'Keys', description: 'Key management: create, list, change, rotate, disable and revoke API keys' },
  sessions: { name: 'Sessions', description: 'Session API: remote-support sessions' },
  tickets: { name: 'Tickets', description: 'Tickets API: deferred support requests' },
  technicians: { name: 'Technicians', description: 'Technician API' },
  devices: { name: 'Devices', description: 'Device API' },
};

export function apiTag(service: ServiceName): TagObject | undefined {
  return service === 'edge' ? undefined : API_TAGS[service];
}
