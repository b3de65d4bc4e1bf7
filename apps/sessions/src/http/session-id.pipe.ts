import { IdParamPipe } from '@keyward/service-runtime';

/** A session id in a path must look like one (`ses_…`): anything else is 400 `invalid_session_id`. */
export const sessionIdPipe = new IdParamPipe('ses', 'session');
