import { runService } from '@keyward/service-runtime';
import { EdgeModule } from './edge.module';

void runService('edge', () => EdgeModule.forRoot());
