import { runService } from '@keyward/service-runtime';
import { EdgeModule } from './edge.module';

// Bodies are streamed to the services unparsed; the edge only counts their bytes.
void runService('edge', () => EdgeModule.forRoot(), { jsonBody: false });
