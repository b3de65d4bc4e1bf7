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

export type ProblemResponseName =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'RequestTimeout' | 'Conflict' | 'PayloadTooLarge'
  | 'UnsupportedMediaType' | 'UnprocessableEntity' | 'TooManyAuthFailures' | 'HeadersTooLarge' | 'ServiceUnavailable'
  | 'BadGateway' | 'GatewayTimeout';

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } } as const;

const problem = (description: string, retryAfter = false): ResponseObject => ({
  description,
  ...(retryAfter ? { headers: { ...RETRY_AFTER } } : {}),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * The codes each shared problem answer can carry, whatever the operation; an operation adds its
 * own (see DocumentProblems) to the answer's description. Branch on `code`.
 */
export const PROBLEM_CODES: Readonly<Record<ProblemResponseName, readonly string[]>> = {
  BadRequest: ['malformed_json', 'json_too_deep', 'validation_failed', 'invalid_cursor', 'bad_request', 'request_aborted', 'malformed_body'],
  Unauthorized: ['missing_key', 'malformed_key', 'unknown_key', 'key_disabled', 'key_expired', 'key_revoked'],
  Forbidden: ['ip_not_allowed', 'permission_denied', 'public_key_not_allowed'],
  NotFound: ['not_found'],
  RequestTimeout: ['request_timeout'],
  Conflict: ['concurrent_modification'],
  PayloadTooLarge: ['payload_too_large'],
  UnsupportedMediaType: ['unsupported_media_type', 'unsupported_encoding', 'unsupported_charset'],
  UnprocessableEntity: ['invalid_text'],
  TooManyAuthFailures: ['too_many_auth_failures'],
  HeadersTooLarge: ['headers_too_large'],
  ServiceUnavailable: ['authorization_unavailable', 'database_unavailable', 'overloaded'],
  BadGateway: ['upstream_unavailable'],
  GatewayTimeout: ['upstream_timeout'],
};

const PROBLEM_DESCRIPTIONS: Readonly<Record<ProblemResponseName, string>> = {
  BadRequest: `The request is not valid (the body is not JSON, nests more than 32 levels, or breaks the schema; an id or cursor that does not look like one: \`invalid_<name>_id\`)`,
  Unauthorized: 'No usable key',
  Forbidden: 'The key may not do this from here',
  NotFound: 'Not found in the caller\'s account (another account\'s ids answer 404 too)',
  RequestTimeout: 'The request body did not arrive in time',
  Conflict: 'The resource\'s state does not allow this, or another request changed it at the same moment (`concurrent_modification`: retry)',
  PayloadTooLarge: 'The request body is larger than the service accepts',
  UnsupportedMediaType: 'The body is not `application/json` in UTF-8, or its Content-Encoding is not supported',
  UnprocessableEntity: 'The request breaks a rule of the domain (the `code` names the rule); `invalid_text`: a name or text holds control characters, bidirectional overrides or lone surrogates',
  TooManyAuthFailures: 'Too many requests with an unusable key from this address; wait for Retry-After',
  HeadersTooLarge: 'The request\'s header fields are too large',
  ServiceUnavailable: 'Temporarily unable to answer (keys cannot be checked right now, the database is unreachable, or the service is shedding load); retry after Retry-After or shortly',
  BadGateway: 'The edge could not reach the service behind it',
  GatewayTimeout: 'The service behind the edge did not answer in time',
};

/** A shared answer's description with its codes, and any an operation adds. */
export function problemDescription(name: ProblemResponseName, extraCodes: readonly string[] = []): string {
  const codes = [...new Set([...PROBLEM_CODES[name], ...extraCodes])];
  return `${PROBLEM_DESCRIPTIONS[name]}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}`;
}

const WITH_RETRY_AFTER: ReadonlySet<ProblemResponseName> = new Set(['TooManyAuthFailures', 'ServiceUnavailable']);

/** One shared answer, with extra codes when an operation has its own. */
export function problemResponse(name: ProblemResponseName, extraCodes: readonly string[] = []): ResponseObject {
  return problem(problemDescription(name, extraCodes), WITH_RETRY_AFTER.has(name));
}

/** The error answers every service shares, defined once and referenced by each operation. */
export const PROBLEM_RESPONSES: Readonly<Record<ProblemResponseName, ResponseObject>> = Object.fromEntries(
  (Object.keys(PROBLEM_CODES) as ProblemResponseName[]).map((name) => [name, problemResponse(name)]),
) as Record<ProblemResponseName, ResponseObject>;

export const PROBLEM_STATUS: Readonly<Record<ProblemResponseName, string>> = {
  BadRequest: '400', Unauthorized: '401', Forbidden: '403', NotFound: '404', RequestTimeout: '408', Conflict: '409',
  PayloadTooLarge: '413', UnsupportedMediaType: '415', UnprocessableEntity: '422', TooManyAuthFailures: '429',
  HeadersTooLarge: '431', ServiceUnavailable: '503', BadGateway: '502', GatewayTimeout: '504',
};

/** The shared answer of a status, if there is one. */
export function problemNameOf(status: string): ProblemResponseName | undefined {
  return (Object.keys(PROBLEM_STATUS) as ProblemResponseName[]).find((n) => PROBLEM_STATUS[n] === status);
}

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
