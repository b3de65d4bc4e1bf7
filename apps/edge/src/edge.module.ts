import type { DynamicModule, MiddlewareConsumer, NestModule } from '@nestjs/common';
import { Module, RequestMethod } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { OPENAPI_DOCUMENT, ServiceRuntimeModule } from '@keyward/service-runtime';
import { DocsController } from './docs/docs.http.controller';
import { EdgeOpenApiDocument } from './docs/edge-openapi.document';
import { EdgeProxyMiddleware } from './proxy/edge-proxy.middleware';
import { EdgeUpstreams } from './proxy/edge-upstreams';

export interface EdgeModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

/** The front door: every /v1 request is authorized here, then streamed to the owning service. */
@Module({})
export class EdgeModule implements NestModule {
  static forRoot(options: EdgeModuleOptions = {}): DynamicModule {
    return {
      module: EdgeModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'edge', ...(options.config ? { config: options.config } : {}), ...(options.clock ? { clock: options.clock } : {}) }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
      controllers: [DocsController],
      providers: [
        // The services' instances (KEYS_URL, ... lists): pools, bounds, health (docs/edge-balancing.md).
        EdgeUpstreams,
        EdgeProxyMiddleware,
        // GET /openapi.json (served by service-runtime) answers the services' documents merged; GET /docs shows it.
        { provide: OPENAPI_DOCUMENT, useClass: EdgeOpenApiDocument },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(EdgeProxyMiddleware).forRoutes({ path: 'v1/*path', method: RequestMethod.ALL });
  }
}
