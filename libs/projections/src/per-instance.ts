/**
 * Names of what each instance of a service keeps for itself (docs/scaling.md). N instances of a
 * service share its database and topics, but a projection that must see its topic whole (the key
 * projection, the mirrors) is consumed by every instance on its own: its own consumer group (a
 * shared group would split the partitions between them), its own checkpoint and its own persisted
 * views (a shared view written by an instance that is behind would leave another, restarting from
 * its own checkpoint, with an older view than its checkpoint promises: a revocation missed).
 */

/** The consumer group of one instance: `<group>.<instanceId>`. */
export function instanceGroupId(groupId: string, instanceId: string | undefined): string {
  return instanceId === undefined ? groupId : `${groupId}.${instanceId}`;
}

/** The `_id` of one instance's checkpoint of one partition. */
export function instanceCheckpointId(topic: string, partition: number, instanceId: string | undefined): string {
  return instanceId === undefined ? `${topic}:${partition}` : `${topic}:${partition}:${instanceId}`;
}

/** The collection of one instance's persisted views: `<collection>__<instanceId>` (characters a collection name takes). */
export function instanceCollection(collection: string, instanceId: string | undefined): string {
  return instanceId === undefined ? collection : `${collection}__${instanceId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
