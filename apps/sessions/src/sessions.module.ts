import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceModuleOptions } from '@keyward/operator-api';
import { ServicePlatformModule } from '@keyward/operator-api';
import { sessionProviders } from './application/session.aggregate';
import { SessionCommands } from './application/session-commands.service';
import { SessionQueries } from './application/session-queries';
import { CreateSessionController } from './commands/create-session/create-session.http.controller';
import { EndSessionController } from './commands/end-session/end-session.http.controller';
import { StartSessionController } from './commands/start-session/start-session.http.controller';
import { SessionsMirrorsModule } from './mirrors/sessions-mirrors.module';
import { GetSessionController } from './queries/get-session/get-session.http.controller';
import { SessionHistoryController } from './queries/session-history/session-history.http.controller';

export type SessionsModuleOptions = ServiceModuleOptions;

/**
 * The sessions service: the Session aggregate (remote-support sessions) and its API, with
 * mirrors of the technicians, devices and tickets a session refers to.
 */
@Module({})
export class SessionsModule {
  static forRoot(options: SessionsModuleOptions = {}): DynamicModule {
    return {
      module: SessionsModule,
      imports: [ServicePlatformModule.forRoot({ service: 'sessions', ...options }), SessionsMirrorsModule.forRoot()],
      // SessionHistoryController first: GET /v1/sessions/history must not reach GET /v1/sessions/:sessionId.
      controllers: [SessionHistoryController, GetSessionController, CreateSessionController, StartSessionController, EndSessionController],
      providers: [...sessionProviders(), SessionCommands, SessionQueries],
    };
  }
}
