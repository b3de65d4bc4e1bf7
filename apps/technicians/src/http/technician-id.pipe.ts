import { IdParamPipe } from '@keyward/service-runtime';

/** A technician id in a path must look like one (`tech_…`): anything else is 400 `invalid_technician_id`. */
export const technicianIdPipe = new IdParamPipe('tech', 'technician');
