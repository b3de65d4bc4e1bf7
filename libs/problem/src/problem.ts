/**
 * RFC 9457 problem details. Every error any service answers has this shape, served as
 * `application/problem+json`, with a stable machine-readable `code` that clients can branch on.
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the `type` URIs; each code's documentation lives under it. */
export const PROBLEM_TYPE_BASE = 'https://keyward.dev/problems/';

/** Throw this from any layer to answer with a specific problem. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      ...this.extensions,
    };
  }
}
