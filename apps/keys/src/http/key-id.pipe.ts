import { IdParamPipe } from '@keyward/service-runtime';

/** A key id in a path must look like one (`key_…`); anything else is 400 `invalid_key_id`. */
export const keyIdPipe = new IdParamPipe('key', 'key');
