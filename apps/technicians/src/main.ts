import { runService } from '@keyward/service-runtime';
import { TechniciansModule } from './technicians.module';

void runService('technicians', () => TechniciansModule.forRoot());
