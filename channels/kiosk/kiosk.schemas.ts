import { z } from 'zod';
import { PREFERENTIAL_REASONS, PUBLIC_TURN_STATES, TURN_STAGES } from '../../src/domain/counter-turns.js';
import { PRIORITY_CLASSES } from '../../src/domain/priority.js';
import { TICKET_STATUSES } from '../../src/domain/ticket-lifecycle.js';

/*
 * The answers of the counter channel as they travel (dates as ISO strings): the OpenAPI document states them, and
 * tests check real answers against it.
 */

const instant = z.iso.datetime();
const id = z.string().regex(/^[a-f0-9]{24}$/);

const waitEstimate = z
  .object({
    minutes: z.int().nullable().meta({ description: 'Whole minutes, rounded up; null while no counter serves the service.' }),
    basis: z.enum(['recent', 'typical', 'no_counter']),
    text: z.string().meta({ description: 'One Spanish line for the screen and the printout.' }),
  })
  .meta({ id: 'WaitEstimate' });

export const kioskServicesView = z
  .object({
    hallName: z.string(),
    open: z.boolean().meta({ description: 'Whether the office attends now (business hours and holidays).' }),
    groups: z.array(
      z.object({
        unitCode: z.string(),
        unitName: z.string(),
        services: z.array(
          z.object({
            code: z.string(),
            name: z.string(),
            prefix: z.string(),
            open: z.boolean(),
            closedMessage: z.string().optional().meta({ description: 'Why it gives no turns now, in Spanish.' }),
            waiting: z.int(),
            lastTurnAt: z.string().optional(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'KioskServices' });

export const issuedTurnView = z
  .object({
    ticketId: id,
    number: z.string().meta({ examples: ['R-042'] }),
    service: z.object({ code: z.string(), name: z.string() }),
    issuedAt: instant,
    issuedAtText: z.string().meta({ description: 'Lima time as printed, e.g. "01/12/2026 09:41".' }),
    priority: z.object({
      class: z.enum(PRIORITY_CLASSES),
      label: z.string(),
      note: z.string().meta({ description: 'Which order applies, in Spanish (Ley 28683 preferential: called before everyone else).' }),
      reason: z.enum(PREFERENTIAL_REASONS).optional(),
    }),
    ahead: z.int().meta({ description: 'Turns of the same service called before this one.' }),
    estimatedWait: waitEstimate,
    trackingCode: z.string(),
    status: z.object({ url: z.string().meta({ description: 'The QR code payload: the public status of the turn.' }), token: z.string() }),
    printout: z.array(z.string()).meta({ description: 'Lines for the ticket printer, top to bottom; the QR code of `status.url` goes under them.' }),
  })
  .meta({ id: 'IssuedTurn' });

export const publicTurnStatusView = z
  .object({
    number: z.string(),
    service: z.string(),
    state: z.enum(PUBLIC_TURN_STATES),
    stateText: z.string(),
    ahead: z.int().optional(),
    estimatedWait: waitEstimate.optional(),
    counter: z.string().optional().meta({ description: 'Where to go, once called.' }),
    issuedAt: instant,
  })
  .meta({ id: 'TurnStatus', description: 'Nothing personal: no name, DNI or tracking code.' });

export const deviceView = z
  .object({
    id,
    name: z.string(),
    createdAt: instant,
    createdBy: z.string(),
    revokedAt: instant.optional(),
    revokedBy: z.string().optional(),
  })
  .meta({ id: 'KioskDevice' });

const counterTurnView = z
  .object({
    ticketId: id,
    number: z.string(),
    service: z.object({ code: z.string(), name: z.string() }),
    stage: z.enum(TURN_STAGES),
    status: z.enum(TICKET_STATUSES),
    priorityClass: z.enum(PRIORITY_CLASSES),
    preferentialReason: z.enum(PREFERENTIAL_REASONS).optional(),
    recalls: z.int(),
    recallsBeforeNoShow: z.int(),
    calledAt: instant.optional(),
    trackingCode: z.string(),
    subject: z.string(),
    citizenId: id.optional(),
  })
  .meta({ id: 'CounterTurn' });

export const counterTurnAnswer = z.object({ turn: counterTurnView });

export const counterView = z
  .object({
    code: z.string(),
    name: z.string(),
    services: z.array(z.object({ code: z.string(), name: z.string(), waiting: z.int(), longestWaitSeconds: z.number() })),
    state: z.enum(['open', 'paused', 'closed']),
    staffId: id.optional(),
    current: counterTurnView.optional(),
    parked: z.array(counterTurnView),
  })
  .meta({ id: 'Counter' });
