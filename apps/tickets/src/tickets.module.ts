import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { aggregateProviders, EventStoreModule } from '@keyward/event-store';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';
import { ticketAggregate } from './application/ticket.aggregate';
import { TicketCommands } from './application/ticket-commands.service';
import { TicketQueries } from './application/ticket-queries';
import { toTicketView } from './application/ticket-view';
import { TICKET_STORE, TICKET_VIEWS } from './application/tickets.tokens';
import { AssignTicketController } from './commands/assign-ticket/assign-ticket.http.controller';
import { CloseTicketController } from './commands/close-ticket/close-ticket.http.controller';
import { CreateTicketController } from './commands/create-ticket/create-ticket.http.controller';
import { TicketsMirrorsModule } from './mirrors/tickets-mirrors.module';
import { SessionTicketEventsController } from './process/session-ticket-events.controller';
import { SessionTicketProcessManager } from './process/session-ticket.process-manager';
import { GetTicketController } from './queries/get-ticket/get-ticket.http.controller';
import { ListTicketsController } from './queries/list-tickets/list-tickets.http.controller';

export interface TicketsModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

/**
 * The tickets service: the Ticket aggregate (deferred support requests) and its API, mirrors of
 * technicians and sessions, and the process manager that lets sessions move their tickets.
 */
@Module({})
export class TicketsModule {
  static forRoot(options: TicketsModuleOptions = {}): DynamicModule {
    return {
      module: TicketsModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'tickets', ...options }),
        EventStoreModule.forRoot(),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
        TicketsMirrorsModule.forRoot(),
      ],
      controllers: [CreateTicketController, ListTicketsController, GetTicketController, AssignTicketController, CloseTicketController, SessionTicketEventsController],
      providers: [
        ...aggregateProviders({
          definition: ticketAggregate,
          storeToken: TICKET_STORE,
          viewsToken: TICKET_VIEWS,
          views: 'tickets',
          toView: toTicketView,
          indexes: [
            { accountId: 1, createdAt: -1, _id: -1 },
            { accountId: 1, status: 1, createdAt: -1 },
            { accountId: 1, technicianId: 1, createdAt: -1 },
            { accountId: 1, reference: 1 },
          ],
        }),
        TicketCommands,
        TicketQueries,
        SessionTicketProcessManager,
      ],
    };
  }
}
