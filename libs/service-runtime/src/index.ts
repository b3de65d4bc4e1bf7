export * from './clock/clock';
export * from './health/readiness.service';
export * from './run-service';
export * from './service-runtime.module';
export * from './tokens';
export * from './http/id-param.pipe';
export * from './http/page-cursor';
export * from './metrics/metrics';
