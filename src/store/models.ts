import type { Connection } from 'mongoose';
import { registerCitizenModels } from './citizen.model.js';
import { registerTicketEventModel } from './ticket-event.model.js';
import { registerTicketModel } from './ticket.model.js';

export function registerModels(connection: Connection) {
  return {
    ...registerCitizenModels(connection),
    Ticket: registerTicketModel(connection),
    TicketEvent: registerTicketEventModel(connection),
  };
}

export type Models = ReturnType<typeof registerModels>;
