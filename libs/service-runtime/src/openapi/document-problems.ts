import { ApiExtension } from '@nestjs/swagger';

/** Where DocumentProblems leaves an operation's own codes for describeOperation (which removes it). */
export const PROBLEM_CODES_EXTENSION = 'x-keyward-problem-codes';

/** An operation's own problem codes, by HTTP status. */
export type OwnProblemCodes = Readonly<Partial<Record<400 | 403 | 404 | 409 | 422 | 503, readonly string[]>>>;

/**
 * Documents the problem codes a handler answers beyond the shared ones (its domain's rules, the
 * references it checks), so the OpenAPI document lists them with their status:
 * `@DocumentProblems({ 409: ['technician_email_taken'] })`.
 */
export function DocumentProblems(codes: OwnProblemCodes): MethodDecorator {
  return ApiExtension(PROBLEM_CODES_EXTENSION, codes);
}
