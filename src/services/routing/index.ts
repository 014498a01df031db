/**
 * Routing: where the rules of `config/routing.json` put a contact (unit, queue, skills, type), and the `route.ticket`
 * job that schedules a new ticket's SLA checks and puts it in the live queue.
 */
export { placeContact, routeTicket, type Placement } from './routing.service.js';
