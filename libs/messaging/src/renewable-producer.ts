import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { withDeadline } from './kafka-client';

/** What a publisher needs of a producer: sending (the record's topic, messages, acks). */
export interface RecordSender {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

/**
 * An idempotent producer that can be replaced by a new one.
 *
 * Why: kafkajs keeps an idempotent producer's id and sequence numbers for the life of the
 * Producer object; disconnect() and connect() reuse them. After a broker restart, or a send that
 * timed out at the client after the broker had appended it, the broker answers every later send of
 * that producer OUT_OF_ORDER_SEQUENCE_NUMBER (or UNKNOWN_PRODUCER_ID, or a fenced epoch), and
 * reconnecting the same object never ends it: measured as a relay that published nothing for
 * minutes after a Kafka SIGKILL. renew() makes a new Producer (a new producer id from the broker)
 * and leaves the old one to disconnect within a bound.
 */
export class RenewableProducer implements RecordSender {
  private producer: Producer;
  private renewals = 0;

  constructor(private readonly create: () => Producer, private readonly disconnectWithinMs = 2_000) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.producer.send(record);
  }

  /** A new producer (new producer id), connected; the old one is disconnected within the bound. */
  async renew(): Promise<void> {
    const old = this.producer;
    this.producer = this.create();
    this.renewals++;
    await withDeadline(old.disconnect(), this.disconnectWithinMs, 'producer disconnect timed out').catch(() => undefined);
    await this.producer.connect();
  }

  /** How many times the producer was replaced (for status and tests). */
  renewed(): number {
    return this.renewals;
  }

  disconnect(): Promise<void> {
    return withDeadline(this.producer.disconnect(), this.disconnectWithinMs, 'producer disconnect timed out');
  }
}

/**
 * Errors after which the idempotent producer must be replaced by a new one (renew()): its producer id or
 * sequence numbers are no longer accepted, or kafkajs gave up on it.
 */
export function producerNeedsRenewal(e: unknown, depth = 0): boolean {
  if (typeof e !== 'object' || e === null || depth > 6) return false;
  const { type, name, message, cause } = e as { type?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof type === 'string' && /^(OUT_OF_ORDER_SEQUENCE_NUMBER|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|INVALID_PRODUCER_ID_MAPPING|DUPLICATE_SEQUENCE_NUMBER)$/.test(type)) return true;
  if (name === 'KafkaJSNonRetriableError' || name === 'KafkaJSNumberOfRetriesExceeded') return true;
  if (typeof message === 'string' && /producer is disconnected|out of order sequence|producer id|epoch|fenced/i.test(message)) return true;
  return producerNeedsRenewal(cause, depth + 1);
}
