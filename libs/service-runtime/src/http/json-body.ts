import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '@keyward/problem';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth';

/** body-parser's error types, as stable problem codes. */
const PARSER_ERRORS: Record<string, [status: number, code: string, title: string, detail: string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'Malformed JSON body', 'The request body is not valid JSON (an object or an array)'],
  'entity.too.large': [413, 'payload_too_large', 'Payload too large', 'The request body is larger than the service accepts'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'Unsupported content encoding', 'The Content-Encoding is not supported'],
  'charset.unsupported': [415, 'unsupported_charset', 'Unsupported charset', 'The charset is not supported; send UTF-8'],
  'json.too.deep': [400, 'json_too_deep', 'JSON nested too deeply', `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`],
  'request.aborted': [400, 'request_aborted', 'Request aborted', 'The request body ended early'],
  'request.size.invalid': [400, 'bad_request', 'Bad request', 'The request body does not match its Content-Length'],
};

function send(res: Response, req: Request, status: number, code: string, title: string, detail: string): void {
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({
    type: PROBLEM_TYPE_BASE + code, title, status, code, detail, instance: req.originalUrl.split('?')[0],
  }));
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/** A body-parser error whose `type` the error handler below maps to its problem. */
class JsonTooDeep extends Error {
  readonly type = 'json.too.deep';
  readonly status = 400;
}

/**
 * body-parser's `verify` hook: it sees the raw (already inflated) bytes before JSON.parse, so a
 * body nested too deeply is refused before the parser or anything recursive after it runs. The
 * body is already bounded by the size limit, so the scan is bounded too.
 */
function refuseDeepJson(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  const utf8 = encoding === '' || /^utf-?8$/i.test(encoding);
  let text: Uint8Array | string = buf;
  if (!utf8) {
    try {
      text = new TextDecoder(encoding).decode(buf);
    } catch {
      return; // an encoding TextDecoder does not know: body-parser refuses it (415) itself
    }
  }
  if (jsonDepthExceeds(text)) throw new JsonTooDeep('the JSON body is nested too deeply');
}

/**
 * JSON bodies for every service: a body in another media type is refused with 415 (rather than
 * ignored, which would run the command without it), and every parser failure answers a
 * problem+json with a stable code (Nest would turn some into plain 400s or 500s). Nesting deeper than
 * MAX_JSON_DEPTH answers 400 `json_too_deep` before the body is parsed.
 */
export function useJsonBodies(app: NestExpressApplication, limitBytes: number): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (hasBody(req) && !isJson(req.headers['content-type'])) {
      send(res, req, 415, 'unsupported_media_type', 'Unsupported media type', 'Send the request body as application/json');
      return;
    }
    next();
  });
  app.useBodyParser('json', { limit: limitBytes, verify: refuseDeepJson });
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: unknown; status?: unknown; statusCode?: unknown };
    const known = typeof e.type === 'string' ? PARSER_ERRORS[e.type] : undefined;
    if (known) return send(res, req, ...known);
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    // Any other client-side body failure (a gzip body that is not gzip, ...): a 400, not a 500.
    if (status !== undefined && status >= 400 && status < 500) return send(res, req, 400, 'malformed_body', 'Malformed body', 'The request body could not be read');
    next(err);
  });
}
