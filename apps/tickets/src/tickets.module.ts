import { Module } from '@nestjs/common';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

@Module({
  imports: [ServiceRuntimeModule.forRoot({ service: 'tickets' })],
})
export class TicketsModule {}
