import type { Contact } from '../../domain/contact.js';
import { parseDni, parseRuc } from '../../domain/identity-documents.js';
import { priorityClassOf, priorityScore } from '../../domain/priority.js';
import type { Channel } from '../../domain/ticket-types.js';
import { formatTrackingCode } from '../../domain/tracking-code.js';
import { AppError, isAppError } from '../../errors.js';
import type { Citizen } from '../../store/citizen.repository.js';
import type { InteractionKind } from '../../store/interaction.model.js';
import type { TicketLink, TicketTurn } from '../../store/ticket.model.js';
import { ticketIdFor, type Ticket } from '../../store/ticket.repository.js';
import { calendarOf, type Actor, type AppContext } from '../context/index.js';
import { arriveLive } from '../live-state/index.js';
import { placeContact } from '../routing/index.js';
import { initialSla } from '../sla/index.js';
import { recordEvents } from '../timeline/index.js';

const FIRST_INTERACTION: Record<Channel, InteractionKind> = { phone: 'call', email: 'email', kiosk: 'visit', manual: 'note' };

export interface IntakeResult {
  ticket: Ticket;
  /** false when the channel delivered this contact before: the existing ticket is returned. */
  created: boolean;
}

export interface IntakeOptions {
  /** Manual entry: reject an invalid DNI/RUC instead of keeping the contact without it. */
  strictIdentity?: boolean;
  actor?: Actor;
  /** The earlier case this contact continues (a citizen's mail about a case resolved long ago): named on the new one. */
  followUpOf?: TicketLink;
  /**
   * Preferential attention (Ley 28683) for this contact only, as declared at the kiosk: a pregnancy or a child in arms
   * is not a standing of the citizen, so unlike `citizen.preferential` it does not mark the citizen's record.
   */
  preferential?: boolean;
  /** The turn of the counter hall this contact is (kiosk): stored with the ticket. */
  turn?: TicketTurn;
  /**
   * The caller has just looked the contact's channel key up and found no ticket, so intake does not read it again. A
   * delivery of the same contact that raced in between is still found: its ticket's `_id` is taken.
   */
  knownNew?: boolean;
}

/**
 * Finds the citizen by DNI, RUC, email or phone (in that order), or creates one. A channel contact with a
 * mistyped DNI is kept without it: losing a contact is worse than an unidentified one.
 */
async function resolveCitizen(ctx: AppContext, c: Contact['citizen'], strict: boolean): Promise<{ citizen?: Citizen; dropped: string[] }> {
  const dropped: string[] = [];
  const dni = c.dni ? parseDni(c.dni) : undefined;
  const ruc = c.ruc ? parseRuc(c.ruc) : undefined;
  if (strict) {
    const fields = [
      ...(dni && !dni.ok ? [{ path: 'citizen.dni', message: `invalid DNI (${dni.reason})` }] : []),
      ...(ruc && !ruc.ok ? [{ path: 'citizen.ruc', message: `invalid RUC (${ruc.reason})` }] : []),
    ];
    if (fields.length > 0) throw new AppError('VALIDATION_FAILED', 'The citizen data is not valid.', { fields });
  }
  if (dni && !dni.ok) dropped.push('dni');
  if (ruc && !ruc.ok) dropped.push('ruc');
  const lookups = [
    dni?.ok ? (['dni', dni.value.number] as const) : undefined,
    ruc?.ok ? (['ruc', ruc.value] as const) : undefined,
    c.email ? (['email', c.email] as const) : undefined,
    c.phone ? (['phone', c.phone] as const) : undefined,
  ].filter((l) => l !== undefined);
  if (lookups.length === 0) return { dropped };

  const find = async (): Promise<Citizen | undefined> => {
    for (const [kind, value] of lookups) {
      const found = await ctx.store.citizens.findByIdentifier(kind, value);
      if (found) return found;
    }
    return undefined;
  };
  const existing = await find();
  if (existing) {
    await ctx.store.citizens.addIdentifiers(existing, { emails: c.email ? [c.email] : [], phones: c.phone ? [c.phone] : [] });
    return { citizen: existing, dropped };
  }
  try {
    const citizen = await ctx.store.citizens.create({
      ...(dni?.ok ? { dni: dni.value.number } : {}),
      ...(ruc?.ok ? { ruc: ruc.value } : {}),
      ...(c.firstNames ? { firstNames: c.firstNames } : {}),
      ...(c.lastNames ? { lastNames: c.lastNames } : {}),
      emails: c.email ? [c.email] : [],
      phones: c.phone ? [c.phone] : [],
      preferential: c.preferential ?? false,
    });
    return { citizen, dropped };
  } catch (err) {
    // Another contact of the same citizen created them a moment ago.
    if (isAppError(err, 'DUPLICATE')) return { citizen: await find(), dropped };
    if (isAppError(err, 'VALIDATION_FAILED') && !strict) {
      dropped.push(...(err.details?.fields?.map((f) => f.path) ?? []));
      return { dropped };
    }
    throw err;
  }
}

/** Calendar year of an instant in the office's time zone (the tracking-code sequence restarts each year). */
function localYear(ctx: AppContext, at: Date): number {
  return Number(calendarOf(ctx).toLocalDate(at).slice(0, 4));
}

/**
 * Turns a contact into a ticket, exactly once per channel key: creates or finds the citizen, numbers the ticket,
 * records the first interaction and asks the router to queue it (job id = ticket id).
 * The ticket is stored already queued (`created` and `routed` are recorded together): the routing rules place it
 * from the contact alone (unit, queue, type; see `placeContact`), the citizen's standing gives its priority class,
 * and its SLA clock starts at its creation, so the answer states all of it and a channel may acknowledge from it.
 * The route job then schedules the SLA checks and puts it in the live queue, where an agent with room takes it;
 * routing costs the store no second write.
 * Safe to repeat after a crash at any step: each step finds what an earlier attempt did. The contact was validated
 * where it entered the core (`receiveContact`, or the `channel.intake` job's payload check); it is not checked again.
 */
export async function intake(ctx: AppContext, contact: Contact, options: IntakeOptions = {}): Promise<IntakeResult> {
  const actor: Actor = options.actor ?? { kind: 'system', id: `intake:${contact.channel}` };

  let ticket = options.knownNew === true ? null : await ctx.store.tickets.findByChannelKey(contact.channel, contact.externalId);
  let created = false;
  if (!ticket) {
    const { citizen, dropped } = await resolveCitizen(ctx, contact.citizen, options.strictIdentity ?? false);
    const seq = await ctx.store.counters.next(`tracking:${ctx.env.TRACKING_CODE_PREFIX}:${localYear(ctx, contact.receivedAt)}`);
    const preferential = (contact.citizen.preferential ?? false) || (citizen?.preferential ?? false) || (options.preferential ?? false);
    const priorityClass = priorityClassOf({ preferential, vpp: citizen?.vpp ?? false });
    const routingHint = { ...contact.hint, ...(contact.ticketType ? { ticketType: contact.ticketType } : {}) };
    const placement = placeContact(ctx, contact.channel, routingHint, 'consulta');
    const createdAt = new Date();
    try {
      // Listed as open before it exists: a crash in between leaves a stale entry, never an unlisted ticket.
      await ctx.store.openTickets.add(ticketIdFor(contact.channel, contact.externalId), contact.receivedAt);
      ticket = await ctx.store.tickets.insert({
        trackingCode: formatTrackingCode(ctx.env.TRACKING_CODE_PREFIX, localYear(ctx, contact.receivedAt), seq),
        channel: contact.channel,
        channelKey: contact.externalId,
        ...placement.fields,
        originUnitCode: ctx.catalogue.attentionOffice.code,
        status: 'en_cola',
        sla: initialSla(ctx, { ...placement.fields, channel: contact.channel, status: 'en_cola' }, createdAt),
        createdAt,
        enqueuedAt: createdAt,
        priorityClass,
        priorityScore: priorityScore({ priorityClass, slaAtRisk: false }),
        slaAtRisk: false,
        ...(citizen ? { citizenId: citizen._id } : {}),
        subject: contact.subject,
        ...(contact.body ? { description: contact.body } : {}),
        routingHint,
        ...(options.followUpOf ? { followUpOf: options.followUpOf } : {}),
        ...(options.turn ? { turn: options.turn } : {}),
      });
      created = true;
      await arriveLive(ctx, ticket);
      await recordEvents(ctx, ticket, actor, [
        {
          type: 'created',
          to: 'nuevo',
          data: {
            channel: contact.channel,
            ...(dropped.length > 0 ? { droppedIdentifiers: dropped } : {}),
            ...(options.followUpOf ? { followUpOf: options.followUpOf.trackingCode } : {}),
          },
        },
        {
          type: 'routed',
          from: 'nuevo',
          to: 'en_cola',
          data: { rule: placement.ruleId, unit: ticket.unitCode, queue: ticket.queue, ...(ticket.serviceCode ? { service: ticket.serviceCode } : {}) },
        },
      ]);
    } catch (err) {
      // The same contact delivered twice at once: the other delivery won; use its ticket.
      if (!isAppError(err, 'DUPLICATE')) throw err;
      ticket = await ctx.store.tickets.findByChannelKey(contact.channel, contact.externalId);
      if (!ticket) throw err;
    }
  }

  await ctx.store.interactions.addOnce({
    ticketId: ticket._id,
    kind: FIRST_INTERACTION[contact.channel],
    direction: 'in',
    channel: contact.channel,
    authorKind: actor.kind === 'staff' ? 'staff' : 'citizen',
    ...(actor.kind === 'staff' ? { authorId: actor.id } : {}),
    subject: contact.subject,
    body: contact.body ?? contact.subject,
    externalId: contact.externalId,
    attachments: contact.attachments ?? [],
    ...(contact.raw !== undefined ? { raw: contact.raw } : {}),
    at: contact.receivedAt,
  });
  // Also for a contact delivered again: a crash may have stopped the first delivery before this line.
  if (ticket.status === 'nuevo' || ticket.status === 'en_cola') await ctx.queues.enqueue('route.ticket', { ticketId: ticket._id.toString() }, { jobId: ticket._id.toString() });
  return { ticket, created };
}
