import { IdParamPipe } from '@keyward/service-runtime';

/** A ticket id in a path must look like one (`tkt_…`): anything else is 400 `invalid_ticket_id`. */
export const ticketIdPipe = new IdParamPipe('tkt', 'ticket');
