export * from './service-config';
export * from './edge-upstreams';
