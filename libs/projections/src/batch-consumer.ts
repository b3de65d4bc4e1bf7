import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { EventEnvelope, ParsedEvent } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import type { EventConsumer, EventDispatch } from '@keyward/service-runtime';
import type { ConsumerState } from './consumer-faults';
import { ConsumerRestarts, errorText } from './consumer-faults';
import type { DeadLetter } from './dead-letters';
import { DeadLetters } from './dead-letters';

export interface BatchConsumerOptions<S> {
  /** Operator-facing name, and the `projection` of its dead letters (`usage`). */
  readonly name: string;
  /** The topic, with the configured prefix. */
  readonly topic: string;
  /** Used as is: one group for every instance of the service, so each batch is written once. */
  readonly groupId: string;
  /** The topic's event registry from libs/contracts (`USAGE_EVENTS`). */
  readonly events: { parse(value: Buffer | null): ParsedEvent<EventEnvelope>; readonly types: readonly string[] };
  /** A fresh accumulator per batch: the `@EventPattern` handlers add the batch's events to it. */
  readonly createBatch: () => S;
  /**
   * Writes what the handlers accumulated, in one go; must be idempotent (a batch whose commit
   * failed is read and written again). Throws to have the batch read again.
   */
  readonly write: (batch: S) => Promise<void>;
  /** Called on each supervised restart (a metric). */
  readonly onRestart?: () => void;
  readonly log: { log(message: string): void; warn(message: string): void };
}

/** Consumer sizing as IndexedProjection's: heartbeats far inside the session timeout; kafkajs never restarts itself. */
const CONSUMER_CONFIG = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  maxWaitTimeInMs: 500,
  retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2_000, restartOnFailure: async (): Promise<boolean> => false },
} as const;

/**
 * A consumer of one topic that keeps nothing in memory between batches (unlike IndexedProjection):
 * each batch's events are applied, through the `@EventPattern` handlers (EventConsumerTransport),
 * to a fresh accumulator, which is then written at once; the offsets are committed only after that
 * write. One consumer group for every instance (the work is done once; a partition has one
 * consumer), read from the topic's start by a new group. The write is idempotent, so a redelivered
 * batch changes nothing. A message that does not parse, or that no handler applies, goes to the
 * dead letters and the partition moves on. Supervised: a crash restarts it from the committed
 * offsets after a bounded, growing delay; a start while Kafka is away is retried the same way.
 *
 * Not a readiness check: what it writes is not needed to serve (the keys service's usage).
 */
export class BatchConsumer<S> implements EventConsumer {
  readonly name: string;
  private readonly deadLetters: DeadLetters;
  private dispatch: EventDispatch | undefined;
  private consumer: Consumer | undefined;
  private starting: Promise<void> = Promise.resolve();
  private state: ConsumerState = 'stopped';
  private stopping = false;
  private readonly restarts = new ConsumerRestarts();

  constructor(private readonly kafka: Kafka, connection: Connection, private readonly options: BatchConsumerOptions<S>) {
    this.name = options.name;
    this.deadLetters = new DeadLetters(connection);
  }

  get eventTypes(): readonly string[] {
    return this.options.events.types;
  }

  dispatchThrough(dispatch: EventDispatch): void {
    this.dispatch = dispatch;
  }

  /** `running`, `restarting` (supervision is bringing it up) or `stopped`, and the restarts so far. */
  consumerStatus(): { readonly consumer: ConsumerState; readonly restarts: number } {
    return { consumer: this.state, restarts: this.restarts.total };
  }

  /** In the background: joining the shared group can take a rebalance, and nothing waits for this consumer to serve. */
  async start(): Promise<void> {
    this.stopping = false;
    this.state = 'restarting';
    this.starting = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    this.restarts.cancel();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    // A start in flight sees it was stopped and disconnects what it connected.
    await this.starting;
  }

  /** Never rejects: a failure goes to supervision. */
  private async run(): Promise<void> {
    if (this.stopping) return;
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, ...CONSUMER_CONFIG });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer === consumer) this.failed(payload.error);
    });
    try {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [eventTopic(this.options.topic)]);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      if (this.consumer !== consumer) return;
      await consumer.connect();
      // A new group reads the topic from its start: nothing published before the first start is missed.
      await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(consumer, payload) });
      if (this.consumer !== consumer) {
        // Stopped (or replaced) while it was joining.
        await consumer.disconnect().catch(() => undefined);
        return;
      }
      this.state = 'running';
      this.restarts.running();
      if (this.restarts.total > 0) this.options.log.log(`${this.name}: consumer running again (restart ${this.restarts.total})`);
    } catch (e) {
      if (this.consumer === consumer) this.failed(e);
      else await consumer.disconnect().catch(() => undefined);
    }
  }

  private failed(error: unknown): void {
    if (this.stopping || this.restarts.pending) return;
    const consumer = this.consumer;
    this.consumer = undefined;
    this.state = 'restarting';
    const delay = this.restarts.schedule(() => {
      this.starting = (async () => {
        await consumer?.disconnect().catch(() => undefined);
        await this.run();
      })();
    });
    this.options.onRestart?.();
    this.options.log.warn(`${this.name}: consumer failed (${errorText(error)}); restarting from the committed offsets in ${delay ?? 0} ms`);
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const dispatch = this.dispatch;
    // The transport binds before it starts: a batch without handlers is a bug, and is not committed.
    if (!dispatch) throw new Error(`${this.name}: no @EventPattern handlers are bound`);
    const state = this.options.createBatch();
    const letters: DeadLetter[] = [];
    const at = new Date();
    for (const message of batch.messages) {
      const parsed = this.options.events.parse(message.value);
      if (!parsed.ok) {
        letters.push(DeadLetters.letter(this.name, batch.topic, batch.partition, message, parsed.reason, at));
        continue;
      }
      const event = parsed.event;
      const what = `${event.type} v${event.version} of ${event.aggregateId}`;
      try {
        if (dispatch(event, state) === 'quarantined') letters.push(DeadLetters.letter(this.name, batch.topic, batch.partition, message, `${what} was refused`, at));
      } catch (e) {
        letters.push(DeadLetters.letter(this.name, batch.topic, batch.partition, message, `${what} was not applied: ${errorText(e)}`, at));
      }
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last || !isRunning() || isStale()) return;
    // Written first, then committed: a failure throws, and the batch comes again (writing it twice changes nothing).
    await this.options.write(state);
    if (letters.length > 0) {
      await this.deadLetters.write(letters);
      this.options.log.warn(`${this.name}: ${letters.length} message(s) of ${batch.topic} not applied; kept in the dead letters`);
    }
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    await heartbeat();
  }
}
