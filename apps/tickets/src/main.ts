import { runService } from '@keyward/service-runtime';
import { TicketsModule } from './tickets.module';

void runService('tickets', () => TicketsModule.forRoot());
