import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { ServiceConfig } from '@keyward/config';
import type { Clock, OpenApiDocumentSource } from '@keyward/service-runtime';
import { CLOCK, OPENAPI_PATH, SERVICE_CONFIG } from '@keyward/service-runtime';
import { EdgeUpstreams } from '../proxy/edge-upstreams';
import type { MergedOpenApi, ServiceSource, UpstreamService } from './merge-openapi';
import { mergeOpenApi, UPSTREAM_SERVICES } from './merge-openapi';

/** How long the merged document is served before the services are asked again. */
export const OPENAPI_CACHE_MS = 30_000;
/** While a service is missing from it, sooner: the reference heals soon after the service is back. */
export const DEGRADED_OPENAPI_CACHE_MS = 5_000;

function isOpenApiDocument(value: unknown): value is OpenAPIObject {
  if (value === null || typeof value !== 'object') return false;
  const { openapi, paths } = value as Record<string, unknown>;
  return typeof openapi === 'string' && /^3\./.test(openapi) && paths !== null && typeof paths === 'object';
}

/**
 * The edge's GET /openapi.json: the five services' own /openapi.json merged into one document,
 * made at most every 30 s (concurrent requests share one refresh).
 *
 * A service that does not answer does not take the reference down: its last good document is
 * used (the answer says so, in `info.description` and `x-keyward-sources`); a service never
 * reached since the edge started is documented from the route table the edge authorizes against
 * (paths, permissions, keys, summaries; no schemas). The answer is therefore always 200, and a
 * degraded one is made again after 5 s rather than 30.
 */
@Injectable()
export class EdgeOpenApiDocument implements OpenApiDocumentSource {
  private readonly logger = new Logger('EdgeOpenApi');
  private readonly lastGood = new Map<UpstreamService, { document: OpenAPIObject; fetchedAt: Date }>();
  private cached: { document: MergedOpenApi; expiresAt: number } | undefined;
  private refreshing: Promise<MergedOpenApi> | undefined;

  constructor(
    private readonly upstreams: EdgeUpstreams,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  document(): Promise<MergedOpenApi> {
    if (this.cached && this.clock.now().getTime() < this.cached.expiresAt) return Promise.resolve(this.cached.document);
    this.refreshing ??= this.refresh().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async refresh(): Promise<MergedOpenApi> {
    const sources = await Promise.all(UPSTREAM_SERVICES.map((s) => this.source(s)));
    const document = mergeOpenApi(sources);
    const degraded = sources.some((s) => s.state !== 'live');
    this.cached = { document, expiresAt: this.clock.now().getTime() + (degraded ? DEGRADED_OPENAPI_CACHE_MS : OPENAPI_CACHE_MS) };
    for (const conflict of document['x-keyward-conflicts'] ?? []) this.logger.warn(conflict);
    return document;
  }

  private async source(service: UpstreamService): Promise<ServiceSource> {
    try {
      const document = await this.fetchDocument(service);
      const fetchedAt = this.clock.now();
      this.lastGood.set(service, { document, fetchedAt });
      return { service, state: 'live', document, fetchedAt };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.logger.warn(`the OpenAPI document of ${service} is unavailable: ${error}`);
      const last = this.lastGood.get(service);
      return last ? { service, state: 'stale', ...last, error } : { service, state: 'unavailable', error };
    }
  }

  private async fetchDocument(service: UpstreamService): Promise<OpenAPIObject> {
    // From the instance a request would go to now (all of a service's instances serve one document).
    const instance = this.upstreams.balancer(service).pick();
    if (!instance) throw new Error(`no instance of ${service} is known`);
    const url = new URL(OPENAPI_PATH, instance.origin);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.config.edgeUpstreams.timeoutMs), headers: { accept: 'application/json' } });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
      const code = (cause as NodeJS.ErrnoException | undefined)?.code;
      throw new Error(`${service} could not be reached at ${url.origin} (${code ?? (cause instanceof Error ? cause.message : String(cause))})`);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`${service} answered ${res.status} to GET ${OPENAPI_PATH}`);
    }
    const body: unknown = await res.json();
    if (!isOpenApiDocument(body)) throw new Error(`${service} answered something that is not an OpenAPI 3 document`);
    return body;
  }
}
