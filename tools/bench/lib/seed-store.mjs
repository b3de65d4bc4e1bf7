// Tops the keys service's event store up to a number of stored events, so the write-path and
// propagation figures are measured on a store that holds history ("with 100,000 events already
// stored"). Writes directly into the store's collection, in its layout (`_id` = stream id and the
// zero-padded version, see libs/event-store/src/stored-event.ts), as published history: four
// events per key, shaped like the keys service's own (KeyCreated, KeyDisabled, KeyEnabled,
// KeyRotated). The bench's own keys are unaffected (other ids); these streams are never loaded.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mongoose } from './platform.mjs';

const key = (aggregateId, version) => `${aggregateId}:${String(version).padStart(10, '0')}`;
const TYPES = ['KeyCreated', 'KeyDisabled', 'KeyEnabled', 'KeyRotated'];

function dataOf(type, id, at) {
  const actor = { keyId: 'key_bench_seed_admin', accountId: 'acc_bench_seed' };
  if (type === 'KeyCreated') {
    return {
      keyId: id, accountId: 'acc_bench_seed', kind: 'private', name: `seeded key ${id}`, permissions: ['devices:read', 'tickets:read'],
      allowedIps: [], expiresAt: new Date(at.getTime() + 300 * 86_400_000).toISOString(), createdBy: actor,
      secretHash: randomBytes(32).toString('hex'), tokenPrefix: 'kw_sk_Ab12Cd',
    };
  }
  if (type === 'KeyRotated') return { secretHash: randomBytes(32).toString('hex'), tokenPrefix: 'kw_sk_Ef34Gh', graceUntil: at.toISOString(), rotatedBy: actor };
  return { by: actor, reason: 'seeded' };
}

/**
 * Adds events until the collection holds at least `target`; returns how many it holds and how long
 * it took. `known`: the count when the caller knows it (a count is a scan on FerretDB).
 */
export async function topUpKeyEvents(env, database, target, log = () => {}, known = undefined) {
  const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: database }).asPromise();
  try {
    const events = conn.collection('events');
    const before = known ?? await events.estimatedDocumentCount();
    const t0 = performance.now();
    let stored = before;
    let position = Date.now() * 1000 - 10_000_000_000;
    const batchKeys = 250;
    while (stored < target) {
      const docs = [];
      for (let k = 0; k < batchKeys && stored + docs.length < target; k++) {
        const id = `key_seed${randomBytes(8).toString('hex')}`;
        const at = new Date(Date.now() - 86_400_000);
        for (let v = 1; v <= TYPES.length && stored + docs.length < target; v++) {
          const type = TYPES[v - 1];
          docs.push({
            _id: key(id, v), eventId: randomUUID(), position: position++, aggregateId: id, aggregateType: 'ApiKey', accountId: 'acc_bench_seed',
            version: v, type, schemaVersion: 1, occurredAt: at, data: dataOf(type, id, at),
          });
        }
      }
      await events.insertMany(docs, { ordered: false });
      stored += docs.length;
      if (Math.floor(stored / 20_000) !== Math.floor((stored - docs.length) / 20_000)) log(`seeded ${stored} of ${target} events`);
    }
    return { before, after: stored, ms: performance.now() - t0 };
  } finally {
    await conn.close();
  }
}

/** The number of events the keys service's store holds (estimated: a collection count, no scan of documents). */
export async function countKeyEvents(env, database) {
  const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: database }).asPromise();
  try {
    return await conn.collection('events').estimatedDocumentCount();
  } finally {
    await conn.close();
  }
}
