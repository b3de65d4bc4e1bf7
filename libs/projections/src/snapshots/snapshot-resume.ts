import type { Admin } from 'kafkajs';

/**
 * After a start from a snapshot whose offsets the group's could not be pointed at (another member
 * still in the group, e.g. this instance's previous process killed less than a session timeout
 * ago): the partitions where the group's committed offset is past the snapshot. Reading from
 * there would skip the events in between — a revocation among them would never be applied — so
 * the caller then loads from the database instead (whose checkpoint is never behind a commit).
 */
export async function partitionsPastSnapshot(admin: Admin, groupId: string, topic: string, positions: ReadonlyMap<number, bigint>): Promise<number[]> {
  const past: number[] = [];
  for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
    if (t.topic !== topic) continue;
    for (const { partition, offset } of t.partitions) {
      const committed = BigInt(offset);
      if (committed >= 0n && committed > (positions.get(partition) ?? 0n)) past.push(partition);
    }
  }
  return past;
}
