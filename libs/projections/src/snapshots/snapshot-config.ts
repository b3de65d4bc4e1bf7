import { hostname } from 'node:os';
import type { ServiceConfig } from '@keyward/config';
import type { ProjectionSnapshotOptions } from './projection-snapshots';

/**
 * A service's projection snapshot options from its configuration, or undefined when snapshots are
 * off (PROJECTION_SNAPSHOT_DIR empty). `instanceId`: pass ServiceConfig.instanceId (DECISIONS D1);
 * until it is there, its documented default `<hostname>-<port>`, which differs for two instances on one host.
 */
export function projectionSnapshotOptions(
  config: Pick<ServiceConfig, 'service' | 'port' | 'mongodbDatabase' | 'projectionSnapshotDir' | 'projectionSnapshotIntervalMs'>,
  instanceId = `${hostname()}-${config.port}`,
): ProjectionSnapshotOptions | undefined {
  if (config.projectionSnapshotDir === '') return undefined;
  return {
    dir: config.projectionSnapshotDir,
    service: config.service,
    instanceId,
    database: config.mongodbDatabase,
    intervalMs: config.projectionSnapshotIntervalMs,
  };
}
