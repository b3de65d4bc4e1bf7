import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { RenewableProducer } from '@keyward/messaging';
import { producerNeedsRenewal } from '@keyward/messaging';
import type { MongoEventStore } from './mongo-event-store';
import { LeaseLostError, RelayLease } from './relay-lease';
import type { StoredEvent } from './stored-event';
import { toEnvelope } from './stored-event';

export interface OutboxRelayOptions {
  readonly topic: string;
  readonly now: () => Date;
  /** Safety net for events appended by another instance or left by a crash. */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  readonly leaseTtlMs?: number;
  /**
   * Runs for each batch once it is on the topic, before it is marked published: repairs that
   * must happen at least once per event (the owning service's read models) without delaying
   * propagation; a crash before the mark republishes the batch and runs them again.
   */
  readonly afterPublish?: (events: readonly StoredEvent[]) => Promise<void>;
  /**
   * Runs, under the relay lease, after a drain whose last read of the outbox found nothing beyond
   * what the drain published: everything appended before `coveredUntilMs` (real time, the read's
   * start) is on the topic. The freshness watermark consumers check against (relay-watermarks.ts).
   * It runs beside the drain loop, one at a time (see drained()). A failure counts as a failed
   * drain (logged, retried, may reset the producer).
   */
  readonly onDrained?: (coveredUntilMs: number) => Promise<void>;
  readonly log?: (message: string) => void;
  /** This instance (ServiceConfig.instanceId): named as the lease's holder. */
  readonly instanceId?: string;
  /**
   * The ids of the events among the last `perPartition` messages of each partition of the topic
   * (published-tail.ts): read once after the lease is taken or a send failed, so a batch the
   * previous holder sent but did not mark is marked, not sent twice.
   */
  readonly publishedTail?: (perPartition: number) => Promise<ReadonlySet<string>>;
}

/** How old a fence read started for an append may be and still stand for the read right before its send. */
const PREFENCE_MAX_AGE_MS = 100;
/** Streams whose last version published under this term the relay remembers (sending an append without reading the outbox). */
const PUBLISHED_HERE_LIMIT = 10_000;

/**
 * The events of `events` that provably come next on their streams: from version 1, or right after
 * the version `published` says went out last (what it says went out already is left out); each
 * stream's run stops at its first gap. Order per key holds: an earlier version of such a stream
 * cannot be waiting in the outbox.
 */
export function nextOnTheirStreams(events: readonly StoredEvent[], published: ReadonlyMap<string, number>): StoredEvent[] {
  const byStream = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = byStream.get(e.aggregateId);
    if (list) list.push(e);
    else byStream.set(e.aggregateId, [e]);
  }
  const out: StoredEvent[] = [];
  for (const [id, list] of byStream) {
    list.sort((x, y) => x.version - y.version);
    let expected = (published.get(id) ?? 0) + 1;
    for (const e of list) {
      if (e.version < expected) continue;
      if (e.version !== expected) break;
      out.push(e);
      expected++;
    }
  }
  // Stream by stream, each in version order: Kafka keeps order per key (one partition), not across keys.
  return out;
}

export interface RelayStatus {
  readonly running: boolean;
  /** The lease term (fencing token) this instance publishes under; null while another instance holds it. */
  readonly leaseTerm: number | null;
  readonly published: number;
  readonly lastPublishedPosition: number;
  readonly lastError?: string;
}

/**
 * Publishes what the store's outbox holds, each aggregate's events in version order, to the
 * service's topic, keyed by aggregate id (one aggregate's events keep their order on one
 * partition), then deletes the markers. A cycle reads the outbox (only the backlog), looks events
 * up by `_id` and deletes markers by `_id`: its cost follows the backlog, not the history. Woken at once by every append in this process, whose
 * events it sends from hand when they come next on their streams (no read of the outbox on their way); polling catches the rest.
 * A crash between publish and mark republishes the batch: duplicates, never loss.
 */
export class OutboxRelay {
  private readonly lease: RelayLease;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** The watermark claim under way (onDrained), beside the drain loop. */
  private claiming: Promise<void> | undefined;
  private again = false;
  private running = false;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeAppending: (() => void) | undefined;
  /**
   * The next drain reads the outbox: at start, on every poll, after a failure, and when something
   * in hand could not go without it. An append whose events all went from hand does not read it.
   */
  private outboxReadDue = true;
  /** Events appended in this process since the last drain took them (the append's kick). */
  private inHand: StoredEvent[] = [];
  /** Per stream, the last version this relay published under its current term. */
  private readonly publishedHere = new Map<string, number>();
  /** The fence read started when an append claimed its version, to stand for the read before its send. */
  private prefence: { readonly term: number; readonly startedAtMs: number; readonly error: Promise<unknown> } | undefined;
  private publishedCount = 0;
  private lastPublishedPosition = 0;
  private lastError: string | undefined;
  private resetProducer = false;
  /** The tail of the topic must be checked before the next send (a new lease term, or a send that failed). */
  private checkTail = true;

  constructor(
    private readonly store: MongoEventStore,
    private readonly producer: RenewableProducer,
    connection: Connection,
    private readonly options: OutboxRelayOptions,
  ) {
    // The owner is this process (a restarted instance is a new holder), named by its instance.
    this.lease = new RelayLease(connection, `relay:${options.topic}`, `${options.instanceId ?? 'instance'}:${randomUUID()}`, options.leaseTtlMs ?? 10_000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.store.onAppended((events) => {
      this.inHand.push(...events);
      this.wake();
    });
    this.unsubscribeAppending = this.store.onAppending(() => this.startPrefence());
    this.schedule();
    this.kick();
  }

  /** Stops publishing; waits for the batch under way at most `waitMs` (a send to a dead broker retries for long). */
  async stop(waitMs = 3000): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribeAppending?.();
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([this.draining, this.claiming]), new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    clearTimeout(timer);
    await this.lease.release().catch(() => undefined);
  }

  /** The producer is renewed before the next send (it could not connect at start). */
  requestProducerReset(): void {
    this.resetProducer = true;
  }

  /** Drains now (or right after the drain under way), reading the whole outbox. */
  kick(): void {
    this.outboxReadDue = true;
    this.wake();
  }

  /** Drains now (or right after the drain under way): an append's wake sends what is in hand, and reads the outbox only when due. */
  private wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => { this.draining = undefined; });
  }

  /** Resolves once everything appended before the call has been published (for tests and tools). */
  async flush(): Promise<void> {
    while ((await this.store.countUnpublished()) > 0) {
      this.kick();
      await (this.draining ?? new Promise((r) => setTimeout(r, 20)));
    }
  }

  status(): RelayStatus {
    return {
      running: this.running,
      leaseTerm: this.lease.token ?? null,
      published: this.publishedCount,
      lastPublishedPosition: this.lastPublishedPosition,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.kick();
      this.schedule();
    }, this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drainOnce();
        this.lastError = undefined;
      } catch (e) {
        this.drainFailed(e);
        return;
      }
    } while (this.again && this.running);
  }

  /** A drain (or its watermark) failed: logged once per incident; the next drain retries. */
  private drainFailed(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    // One line per incident, not one per poll while the broker or the database is away.
    if (message !== this.lastError) this.options.log?.(`outbox relay: ${message} (will retry)`);
    this.lastError = message;
    if (producerNeedsRenewal(e)) this.resetProducer = true;
    // A failed send may have reached the topic: look before sending it again.
    if (!(e instanceof LeaseLostError)) this.checkTail = true;
    // What was in hand is in the outbox: the next drain reads it from there.
    this.inHand = [];
    this.outboxReadDue = true;
    this.publishedHere.clear();
  }

  /**
   * An append claimed its version: read the lease now, beside its events' insert, so the read
   * before the send is done by the time the events are stored (the fence: docs/scaling.md).
   */
  private startPrefence(): void {
    const term = this.lease.token;
    if (!this.running || term === undefined) return;
    // One read for appends that come together: a read not yet taken by a send stands for them all.
    const pending = this.prefence;
    if (pending && pending.term === term && Date.now() - pending.startedAtMs < PREFENCE_MAX_AGE_MS) return;
    const error = this.lease.assertHeld().then(() => undefined, (e: unknown) => e);
    this.prefence = { term, startedAtMs: Date.now(), error };
  }

  /** A tail check is due before the next send (only with `publishedTail`: without it there is nothing to check). */
  private tailCheckDue(): boolean {
    return this.checkTail && this.options.publishedTail !== undefined;
  }

  /** The fence read of a cycle: the one started for an append, when recent and of this term; else a read now. */
  private async fence(): Promise<void> {
    const started = this.prefence;
    this.prefence = undefined;
    if (!started || started.term !== this.lease.token || Date.now() - started.startedAtMs > PREFENCE_MAX_AGE_MS) {
      await this.lease.assertHeld();
      return;
    }
    const error = await started.error;
    if (error) throw error;
    this.lease.assertValid();
  }

  /**
   * Sends the events appended in this process that provably come next on their streams
   * (nextOnTheirStreams), without reading the outbox first: the read of the outbox was the
   * round trip between an append and its publish. The drain's read of the outbox follows, for
   * everything else (other instances' appends, what a crash left). True when it sent (and so
   * read the lease moments ago).
   */
  private async sendInHand(): Promise<boolean> {
    const inHand = this.inHand;
    this.inHand = [];
    if (inHand.length === 0) return false;
    // After a new term or a failed send, the topic's tail is checked first: the outbox read does that.
    if (this.tailCheckDue()) {
      this.outboxReadDue = true;
      return false;
    }
    const next = nextOnTheirStreams(inHand, this.publishedHere);
    // What cannot go from hand goes from the outbox, in its stream's order.
    if (next.length < inHand.length) this.outboxReadDue = true;
    if (next.length === 0) return false;
    await this.fence();
    await this.publish(next, next);
    return true;
  }

  /** Sends `toSend` (of `batch`, less what the topic's tail already has), runs afterPublish, deletes the markers of `batch`. */
  private async publish(batch: readonly StoredEvent[], toSend: readonly StoredEvent[]): Promise<void> {
    // Checked again right before the send (the reads may have been slow, or the process paused).
    this.lease.assertValid();
    if (toSend.length > 0) await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      messages: toSend.map((e) => ({
        key: e.aggregateId,
        value: JSON.stringify(toEnvelope(e)),
        headers: { type: e.type, schemaVersion: String(e.schemaVersion) },
      })),
    });
    await this.options.afterPublish?.(batch);
    await this.store.markPublished(batch);
    this.publishedCount += batch.length;
    this.lastPublishedPosition = batch[batch.length - 1]?.position ?? this.lastPublishedPosition;
    for (const e of batch) this.rememberPublished(e.aggregateId, e.version);
  }

  private rememberPublished(aggregateId: string, version: number): void {
    if ((this.publishedHere.get(aggregateId) ?? 0) >= version) return;
    this.publishedHere.delete(aggregateId);
    if (this.publishedHere.size >= PUBLISHED_HERE_LIMIT) {
      // The oldest first (a Map keeps insertion order); a forgotten stream goes through the outbox read.
      const oldest = this.publishedHere.keys().next();
      if (!oldest.done) this.publishedHere.delete(oldest.value);
    }
    this.publishedHere.set(aggregateId, version);
  }

  /** After a new term or a failed send: the events of `batch` already on the topic are marked, not sent again. */
  private async withoutPublishedTail(batch: readonly StoredEvent[], batchSize: number): Promise<readonly StoredEvent[]> {
    if (!this.checkTail || !this.options.publishedTail) return batch;
    const onTopic = await this.options.publishedTail(batchSize);
    this.checkTail = false;
    const already = batch.filter((e) => onTopic.has(e.id));
    if (already.length === 0) return batch;
    this.options.log?.(`outbox relay: ${already.length} event(s) were on the topic but not marked (a holder stopped between send and mark): marked, not sent again`);
    return batch.filter((e) => !onTopic.has(e.id));
  }

  private async drainOnce(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    if (!(await this.lease.acquire(this.options.now()))) {
      // Another instance holds the lease: it publishes these from the outbox.
      this.inHand = [];
      return;
    }
    if (this.lease.takeNewTerm()) {
      this.checkTail = true;
      this.publishedHere.clear();
    }
    if (this.resetProducer) {
      // After a broker restart (or a send that timed out after the broker appended it) the
      // idempotent producer's id and sequence numbers may no longer be accepted (out of order
      // sequence, unknown producer id, fenced epoch), and reconnecting the same kafkajs producer
      // keeps them: a new producer takes a new producer id (libs/messaging renewable-producer.ts).
      // The unpublished batch is sent again from its first event, after the tail check, so order
      // per key holds and nothing is lost or sent twice.
      await this.producer.renew();
      this.resetProducer = false;
      this.options.log?.('outbox relay: producer renewed (new producer id)');
    }
    let fenced = await this.sendInHand();
    // Everything the wake was for went from hand: the outbox (other instances' appends, a crash's
    // leftovers) is read by the next poll, which also claims the watermark.
    if (!this.outboxReadDue) return;
    this.outboxReadDue = false;
    for (;;) {
      // Real time, not the service's clock: consumers compare it with their own real clock.
      const readAtMs = Date.now();
      // Fencing: nothing is sent under a lease term that another instance may have taken over. The
      // check reads the lease while the outbox is read (two round trips at once, not one after the
      // other); it still completes before the send. Right after sending what was in hand, the read
      // made for that send is moments old and stands for this one (the local validity is checked);
      // and a read started for an append (startPrefence) stands for the first read of a cycle.
      const fence = fenced ? Promise.resolve(this.lease.assertValid()) : this.fence();
      fenced = false;
      const [{ events: batch, complete }] = await Promise.all([this.store.pending(batchSize), fence]);
      // Nothing publishable: either the outbox is empty (drained), or what it holds waits for an
      // append still under way (or a stream's earlier marker beyond the read): the poll comes back.
      if (batch.length === 0) return complete ? this.drained(readAtMs) : undefined;
      const toSend = await this.withoutPublishedTail(batch, batchSize);
      await this.publish(batch, toSend);
      if (complete) return this.drained(readAtMs);
    }
  }

  /**
   * The read at `readAtMs` saw the whole outbox and all of it is published now: `onDrained` runs
   * beside the drain loop, not in it, so an append that comes meanwhile is sent at once instead of
   * after the watermark's broker calls (an end-offsets read and a send: measured as the tail of
   * propagation). One at a time; a drain that ends while one is under way claims nothing, and the
   * next drain claims a later time. Its offsets are read after this drain's sends, so a later
   * send they may include only makes them cover more.
   */
  private drained(readAtMs: number): void {
    const onDrained = this.options.onDrained;
    if (!onDrained || this.claiming) return;
    // Fenced like a send: an instance resumed past its lease claims no freshness. The read of the
    // lease made with the outbox's is moments old: the local validity is checked again, not the database.
    this.lease.assertValid();
    this.claiming = onDrained(readAtMs)
      .catch((e: unknown) => this.drainFailed(e))
      .finally(() => { this.claiming = undefined; });
  }
}
