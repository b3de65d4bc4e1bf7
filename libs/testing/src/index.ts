export * from './manual-clock';
export * from './service-process';
export * from './test-infra';
export * from './wait-for';
export * from './in-process-service';
export * from './test-keys';
export * from './platform';
export * from './service-test-app';
