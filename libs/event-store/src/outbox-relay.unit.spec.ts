import { nextOnTheirStreams } from './outbox-relay';
import type { StoredEvent } from './stored-event';

let position = 0;
const event = (aggregateId: string, version: number): StoredEvent => ({
  id: `${aggregateId}-${version}`, position: ++position, aggregateId, aggregateType: 'Counter', accountId: 'acc_1',
  version, type: 'Incremented', schemaVersion: 1, occurredAt: new Date(0).toISOString(), data: {},
});
const ids = (events: readonly StoredEvent[]): string[] => events.map((e) => `${e.aggregateId}@${e.version}`);

describe('nextOnTheirStreams: what a relay may send without reading the outbox', () => {
  it('takes a new stream from version 1, and a stream right after the version this relay published last', () => {
    const published = new Map([['b', 4]]);
    expect(ids(nextOnTheirStreams([event('a', 1), event('a', 2), event('b', 5)], published))).toEqual(['a@1', 'a@2', 'b@5']);
  });

  it('leaves a stream whose earlier version it did not publish itself: that one may wait in the outbox, and goes first', () => {
    // c@3 with nothing known of c@2 (another instance appended it, or a crash left it unpublished).
    expect(ids(nextOnTheirStreams([event('c', 3)], new Map()))).toEqual([]);
    expect(ids(nextOnTheirStreams([event('c', 3)], new Map([['c', 1]])))).toEqual([]);
  });

  it('stops a stream at its first gap and never sends a version already published', () => {
    const published = new Map([['d', 2]]);
    expect(ids(nextOnTheirStreams([event('d', 2), event('d', 3), event('d', 5), event('e', 1), event('e', 3)], published))).toEqual(['d@3', 'e@1']);
  });

  it('sends each stream in version order, whatever order its events came in', () => {
    const sent = ids(nextOnTheirStreams([event('x', 2), event('y', 1), event('x', 1)], new Map()));
    expect(sent.filter((e) => e.startsWith('x@'))).toEqual(['x@1', 'x@2']);
    expect(sent.sort()).toEqual(['x@1', 'x@2', 'y@1']);
  });
});
