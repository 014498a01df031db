import type { Connection } from 'mongoose';
import { registerCitizenMessageModel } from './citizen-message.model.js';
import { registerCitizenModels } from './citizen.model.js';
import { registerCounterModel } from './counter.model.js';
import { registerCounterSessionModel } from './counter-session.model.js';
import { registerKioskDeviceModel } from './kiosk-device.model.js';
import { registerTurnCeilingModel } from './turn-ceiling.model.js';
import { registerInteractionModel } from './interaction.model.js';
import { registerMailThreadKeyModel } from './mail-thread.model.js';
import { registerMailboxStateModel } from './mailbox-state.model.js';
import { registerMaintenanceRunModel } from './maintenance-run.model.js';
import { registerNotificationModel } from './notification.model.js';
import { registerOpenTicketModel } from './open-ticket.model.js';
import { registerRefreshTokenModel } from './refresh-token.model.js';
import { registerStaffModel } from './staff.model.js';
import { registerSurveyResponseModel } from './survey.model.js';
import { registerTicketEventModel } from './ticket-event.model.js';
import { registerTicketTermModels } from './ticket-term.model.js';
import { registerTicketModel } from './ticket.model.js';

export function registerModels(connection: Connection) {
  return {
    ...registerCitizenModels(connection),
    Ticket: registerTicketModel(connection),
    TicketEvent: registerTicketEventModel(connection),
    ...registerTicketTermModels(connection),
    Interaction: registerInteractionModel(connection),
    Staff: registerStaffModel(connection),
    RefreshToken: registerRefreshTokenModel(connection),
    Counter: registerCounterModel(connection),
    Notification: registerNotificationModel(connection),
    OpenTicket: registerOpenTicketModel(connection),
    SurveyResponse: registerSurveyResponseModel(connection),
    MailThreadKey: registerMailThreadKeyModel(connection),
    MailboxState: registerMailboxStateModel(connection),
    MaintenanceRun: registerMaintenanceRunModel(connection),
    CitizenMessage: registerCitizenMessageModel(connection),
    KioskDevice: registerKioskDeviceModel(connection),
    CounterSession: registerCounterSessionModel(connection),
    TurnCeiling: registerTurnCeilingModel(connection),
  };
}

export type Models = ReturnType<typeof registerModels>;
