import type { Provider } from '@nestjs/common';
import { SERVICES, TECHNICIAN_EVENTS } from '@keyward/contracts';
import type { TechnicianMirrorView } from '@keyward/projections';
import { EntityMirror as Mirror, evolveTechnicianMirror, indexedProjectionProvider } from '@keyward/projections';
import { TECHNICIANS_MIRROR } from '../application/device.aggregate';

export function techniciansMirrorProvider(): Provider {
  return indexedProjectionProvider(TECHNICIANS_MIRROR, {
    name: 'technicians',
    topic: SERVICES.technicians.topic,
    createIndex: () => new Mirror<TechnicianMirrorView>(evolveTechnicianMirror),
    events: TECHNICIAN_EVENTS,
  });
}
