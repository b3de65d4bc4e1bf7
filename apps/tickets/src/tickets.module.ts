import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceModuleOptions } from '@keyward/operator-api';
import { ServicePlatformModule } from '@keyward/operator-api';
import { ticketProviders } from './application/ticket.aggregate';
import { TicketCommands } from './application/ticket-commands.service';
import { TicketQueries } from './application/ticket-queries';
import { AssignTicketController } from './commands/assign-ticket/assign-ticket.http.controller';
import { CloseTicketController } from './commands/close-ticket/close-ticket.http.controller';
import { CreateTicketController } from './commands/create-ticket/create-ticket.http.controller';
import { TicketsMirrorsModule } from './mirrors/tickets-mirrors.module';
import { SessionTicketEventsController } from './process/session-ticket-events.controller';
import { SessionTicketProcessManager } from './process/session-ticket.process-manager';
import { GetTicketController } from './queries/get-ticket/get-ticket.http.controller';
import { ListTicketsController } from './queries/list-tickets/list-tickets.http.controller';

export type TicketsModuleOptions = ServiceModuleOptions;

/**
 * The tickets service: the Ticket aggregate (deferred support requests) and its API, mirrors of
 * technicians and sessions, and the process manager that lets sessions move their tickets.
 */
@Module({})
export class TicketsModule {
  static forRoot(options: TicketsModuleOptions = {}): DynamicModule {
    return {
      module: TicketsModule,
      imports: [ServicePlatformModule.forRoot({ service: 'tickets', ...options }), TicketsMirrorsModule.forRoot()],
      controllers: [CreateTicketController, ListTicketsController, GetTicketController, AssignTicketController, CloseTicketController, SessionTicketEventsController],
      providers: [...ticketProviders(), TicketCommands, TicketQueries, SessionTicketProcessManager],
    };
  }
}
