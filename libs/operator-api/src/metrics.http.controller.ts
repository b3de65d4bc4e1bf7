import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MongoEventStore } from '@keyward/event-store';
import { ProjectionRegistry } from '@keyward/projections';
import { Metrics } from '@keyward/service-runtime';
import { OperatorGuard } from './operator.guard';

/**
 * Prometheus metrics of the service: requests and authorization outcomes as counted, plus, read
 * at scrape time, every projection's lag and position and the outbox relay's backlog. For the
 * platform's operators only (a scraper sends an operator token as its bearer credential).
 */
@Controller()
@UseGuards(OperatorGuard)
export class MetricsController {
  constructor(private readonly metrics: Metrics, private readonly registry: ProjectionRegistry, private readonly moduleRef: ModuleRef) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async render(): Promise<string> {
    for (const p of await this.registry.statuses()) {
      const labels = { projection: p.name };
      this.metrics.set('projection_lag_events', 'Events on the topic not applied yet', labels, p.lag);
      this.metrics.set('projection_items', 'Entities held by the projection', labels, p.items);
      this.metrics.set('projection_caught_up', '1 once the projection has caught up since start', labels, p.caughtUp ? 1 : 0);
      this.metrics.set('projection_applied_events', 'Events applied since start or the last rebuild', labels, p.applied);
      this.metrics.set('projection_duplicate_events', 'Duplicate deliveries dropped', labels, p.duplicates);
      this.metrics.set('projection_gap_events', 'Events applied after a gap in an aggregate\'s versions', labels, p.gaps);
      if (p.consumer !== undefined) {
        this.metrics.set('projection_consumer_running', '1 while the projection\'s consumer runs (0: restarting or stopped)', labels, p.consumer === 'running' ? 1 : 0);
        this.metrics.setTotal('projection_consumer_restarts_total', 'Supervised restarts of the projection\'s consumer', labels, p.restarts ?? 0);
        this.metrics.setTotal('projection_dead_letters_total', 'Messages the projection wrote to dead_letters', labels, p.deadLetters ?? 0);
      }
      for (const [partition, offset] of Object.entries(p.positions)) {
        this.metrics.set('projection_position', 'Next offset to read (store position for read models)', { ...labels, partition }, Number(offset));
      }
    }
    const store = this.eventStore();
    if (store) this.metrics.set('outbox_relay_backlog_events', 'Appended events not yet published to Kafka', {}, await store.countUnpublished());
    return await this.metrics.render();
  }

  private eventStore(): MongoEventStore | undefined {
    try {
      return this.moduleRef.get(MongoEventStore, { strict: false });
    } catch {
      return undefined;
    }
  }
}
