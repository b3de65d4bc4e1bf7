import { runService } from '@keyward/service-runtime';
import { KeysModule } from './keys.module';

void runService('keys', () => KeysModule.forRoot());
