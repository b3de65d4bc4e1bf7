import type { OnModuleInit } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { OutboxHooks } from '@keyward/event-store';
import { KeyCommandsService } from './key-commands.service';
import { KeyViewsRepository } from './key-views.repository';

/**
 * Keeps the read model complete: command handlers update it right after appending, and the
 * relay re-derives it for every batch it publishes, so a crash between append and view update
 * is repaired as soon as the relay publishes the event.
 */
@Injectable()
export class KeyViewsMaintenance implements OnModuleInit {
  constructor(private readonly views: KeyViewsRepository, private readonly commands: KeyCommandsService, private readonly hooks: OutboxHooks) {}

  async onModuleInit(): Promise<void> {
    await this.views.init();
    this.hooks.register((events) => this.commands.refreshViews(events));
  }
}
