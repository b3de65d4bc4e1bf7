import { IdParamPipe } from '@keyward/service-runtime';

/** A device id in a path must look like one (`dev_…`): anything else is 400 `invalid_device_id`. */
export const deviceIdPipe = new IdParamPipe('dev', 'device');
