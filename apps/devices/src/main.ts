import { runService } from '@keyward/service-runtime';
import { DevicesModule } from './devices.module';

void runService('devices', () => DevicesModule.forRoot());
