import type { ServiceConfig } from '@keyward/config';
import type { ProjectionSnapshotOptions } from './projection-snapshots';

/**
 * A service's projection snapshot options from its configuration, or undefined when snapshots are
 * off (PROJECTION_SNAPSHOT_DIR empty). Keyed by the instance (ServiceConfig.instanceId, DECISIONS D1/D2).
 */
export function projectionSnapshotOptions(
  config: Pick<ServiceConfig, 'service' | 'instanceId' | 'mongodbDatabase' | 'projectionSnapshotDir' | 'projectionSnapshotIntervalMs'>,
): ProjectionSnapshotOptions | undefined {
  if (config.projectionSnapshotDir === '') return undefined;
  return {
    dir: config.projectionSnapshotDir,
    service: config.service,
    instanceId: config.instanceId,
    database: config.mongodbDatabase,
    intervalMs: config.projectionSnapshotIntervalMs,
  };
}
