import { runService } from '@keyward/service-runtime';
import { SessionsModule } from './sessions.module';

void runService('sessions', () => SessionsModule.forRoot());
