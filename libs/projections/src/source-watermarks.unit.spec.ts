import { Kafka } from 'kafkajs';
import type { Watermark } from '@keyward/messaging';
import { encodeWatermark, parseWatermark, watermarkTopicOf } from '@keyward/messaging';
import { WatermarkFreshness } from './source-watermarks';

const TOPIC = 'p.keys.events';

function watermark(publishedUntilMs: number, offsets: Record<number, number>): Watermark {
  return { topic: TOPIC, publishedUntilMs, offsets: new Map(Object.entries(offsets).map(([p, o]) => [Number(p), BigInt(o)])) };
}

function applied(offsets: Record<number, number>): () => ReadonlyMap<number, bigint> {
  return () => new Map(Object.entries(offsets).map(([p, o]) => [Number(p), BigInt(o)]));
}

function freshness(): WatermarkFreshness {
  // Never started: the spec feeds it watermarks as its consumer would (no broker is contacted).
  return new WatermarkFreshness(new Kafka({ brokers: ['127.0.0.1:1'] }), { topic: TOPIC, groupId: 'g', log: { log: () => undefined, warn: () => undefined } });
}

describe('relay watermarks', () => {
  it('go to <topic>.watermarks and read back as written; a value of another topic or with bad offsets is not one', () => {
    expect(watermarkTopicOf(TOPIC)).toBe('p.keys.events.watermarks');
    const w: Watermark = { topic: TOPIC, publishedUntilMs: Date.parse('2026-12-01T12:00:00.000Z'), offsets: new Map([[0, 12n], [1, 0n], [2, 9_007_199_254_740_993n]]) };
    expect(parseWatermark(Buffer.from(encodeWatermark(w)), TOPIC)).toEqual(w);
    expect(parseWatermark(Buffer.from(encodeWatermark(w)), 'other.events')).toBeUndefined();
    expect(parseWatermark(Buffer.from('{"topic":"p.keys.events","publishedUntil":"2026-12-01T12:00:00.000Z","offsets":{"0":"-1"}}'), TOPIC)).toBeUndefined();
    expect(parseWatermark(Buffer.from('not json'), TOPIC)).toBeUndefined();
    expect(parseWatermark(null, TOPIC)).toBeUndefined();
  });
});

describe('freshness measured by the relay watermarks a projection has applied', () => {
  it('confirms nothing before a watermark has arrived (never "fresh since start")', () => {
    expect(freshness().confirmedUntilMs(applied({ 0: 100 }))).toBe(0);
  });

  it('counts a watermark only once every partition has been applied up to its offsets', () => {
    const f = freshness();
    f.receive(watermark(1_000, { 0: 5, 1: 0, 2: 3 }));
    expect(f.confirmedUntilMs(applied({ 0: 4, 2: 3 }))).toBe(0);
    expect(f.confirmedUntilMs(applied({ 2: 3 }))).toBe(0);
    expect(f.confirmedUntilMs(applied({ 0: 5, 2: 3 }))).toBe(1_000);
    expect(f.status()).toMatchObject({ mode: 'watermarks', pending: 0, appliedUntil: new Date(1_000).toISOString() });
  });

  it('moves to the newest watermark reached while a lagging projection catches up, and never back', () => {
    const f = freshness();
    f.receive(watermark(1_000, { 0: 5 }));
    f.receive(watermark(2_000, { 0: 7 }));
    f.receive(watermark(3_000, { 0: 9 }));
    expect(f.confirmedUntilMs(applied({ 0: 8 }))).toBe(2_000);
    expect(f.status().pending).toBe(1);
    // An older or repeated watermark (another relay instance, a re-read) changes nothing.
    f.receive(watermark(1_500, { 0: 1 }));
    expect(f.confirmedUntilMs(applied({ 0: 8 }))).toBe(2_000);
    expect(f.confirmedUntilMs(applied({ 0: 9 }))).toBe(3_000);
  });

  it('stays at the last watermark reached when the source publishes nothing more (Kafka or the relay away)', () => {
    const f = freshness();
    f.receive(watermark(1_000, { 0: 5 }));
    expect(f.confirmedUntilMs(applied({ 0: 5 }))).toBe(1_000);
    expect(f.confirmedUntilMs(applied({ 0: 50 }))).toBe(1_000);
  });

  it('asks for the applied offsets only while a watermark is pending (the guard asks on every request)', () => {
    const f = freshness();
    let asked = 0;
    const count = (): ReadonlyMap<number, bigint> => {
      asked++;
      return new Map([[0, 5n]]);
    };
    f.confirmedUntilMs(count);
    f.receive(watermark(1_000, { 0: 5 }));
    f.confirmedUntilMs(count);
    f.confirmedUntilMs(count);
    expect(asked).toBe(1);
  });
});
