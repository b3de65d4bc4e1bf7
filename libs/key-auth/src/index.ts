export type {
  AuthFailure,
  AuthFailureCode,
  AuthGranted,
  AuthOutcome,
  AuthRequest,
  AuthorizedKey,
} from './authorize/auth-outcome';
export { authorize } from './authorize/authorize';
export { AuthFailureThrottle } from './authorize/auth-failure-throttle';
export type { KeyRateLimiterOptions } from './authorize/key-rate-limiter';
export { KeyRateLimiter, RateLimitDecision, rateLimitHeaders } from './authorize/key-rate-limiter';
export { TOO_MANY_AUTH_FAILURES_TITLE, tooManyAuthFailuresDetail } from './authorize/auth-failures';
export type { EdgeAssertion } from './http/edge-signature';
export { EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, EdgeSigner, signedClientIp } from './http/edge-signature';
export { clientIp, parseTrustedProxies } from './http/client-ip';
export type { RequestHeaders } from './http/extract-token';
export { extractToken } from './http/extract-token';
export type { CompiledRateLimit, IndexedKey, KeyProfile } from './projection/indexed-key';
export { OriginDirectory } from './projection/origin-directory';
export type { ApplyResult } from './projection/key-index';
export { KeyIndex } from './projection/key-index';
export type { KeyView } from './projection/key-view';
export * from './nest/key-auth.module';
export * from './nest/key-auth.options';
export * from './nest/key-projection.service';
export * from './nest/key.guard';
export * from './nest/require-permission.decorator';
export type { UsageReport } from './usage/usage-recorder';
export { UsageRecorder } from './usage/usage-recorder';
export type { UsageSubject } from './usage/usage-subject';
export { usageSubjectOf } from './usage/usage-subject';
export * from './nest/usage-reporter.service';
