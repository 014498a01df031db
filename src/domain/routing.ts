/**
 * Routing rules: which unit, queue and agent skills a new contact goes to, decided from what its channel tells
 * us (IVR digits, kiosk service, the mailbox it was written to, keywords in its text, or a service code stated
 * explicitly by staff or a web form).
 *
 * The order is fixed and deliberately simple, so a supervisor can predict it by reading `config/routing.json`:
 * 1. an explicit, known service code wins: the first rule conditioned on that service code that matches the
 *    contact decides; without one, the service's own unit and ticket type with that unit's first queue;
 * 2. otherwise the rules in file order, first match wins;
 * 3. otherwise the attention office's triage queue, where a person decides.
 *
 * Keyword matching is on whole words and phrases, insensitive to case and accents: "Desmonte" and "DESMONTE"
 * match `desmonte`, "acceso a la informacion" matches `acceso a la información`, but "ruidoso" does NOT match
 * `ruido`. Substring matching would make short keywords fire inside unrelated words ("poda" in "podado" is
 * harmless, "acta" in "contactar" or "vpp" in any longer token is not), and a misrouted case costs more than an
 * unmatched one, which at worst lands in triage. Variants that matter are listed in the config instead.
 */
import type { Channel, TicketType } from './ticket-types.js';

/** Rule id reported when an explicit service code decided the route without a rule of its own. */
export const SERVICE_ROUTE_ID = 'service';

/** Rule id reported when nothing matched and the contact went to the triage queue. */
export const TRIAGE_ROUTE_ID = 'triage';

/**
 * What a channel knows about where a contact should go. The stored ticket's hint extends it
 * (`src/store/ticket.model.ts`), so a stored hint can be passed as is.
 */
export interface RoutingHint {
  /** Digit(s) chosen in the IVR menu, e.g. "2" or "2.1". Matched exactly: "2.1" does not match a rule for "2". */
  ivrDigits?: string;
  /** Kiosk service picked at the counter kiosk. */
  kioskService?: string;
  /** Address the citizen wrote to (the municipal mailbox it arrived at). */
  emailTo?: string;
  /** Service code stated explicitly (manual entry, web form). */
  serviceCode?: string;
  /** Free text to match keywords against (email subject + body start). */
  text?: string;
}

/** A queue of a unit, where tickets wait for an agent of that unit. */
export interface RoutingQueue {
  readonly unit: string;
  /** Unique within its unit, not across units. */
  readonly code: string;
  /** Spanish name shown to agents and supervisors. */
  readonly name: string;
}

/** Where contacts that no rule claims go. */
export interface TriageTarget {
  readonly unit: string;
  readonly queue: string;
  readonly skills: readonly string[];
}

/** Conditions of a rule; every condition present must hold. At least one is required (checked at load). */
export interface RoutingCondition {
  readonly channel?: Channel | readonly Channel[];
  readonly ivrDigits?: string;
  readonly kioskService?: string;
  /** Lowercase mailbox address; compared case-insensitively. */
  readonly emailTo?: string;
  /** Any of these words or phrases, as whole words in the hint's text, ignoring case and accents. */
  readonly keywords?: readonly string[];
  readonly serviceCode?: string;
}

/** What a matching rule decides. */
export interface RoutingOutcome {
  /** Service code; supplies the unit and ticket type unless `unit` / `ticketType` override them. */
  readonly service?: string;
  readonly unit?: string;
  /** A queue declared for the resulting unit. */
  readonly queue: string;
  readonly skills: readonly string[];
  readonly ticketType?: TicketType;
}

export interface RoutingRule {
  /** Stable id, recorded on the ticket so a supervisor can tell which rule sent it where. */
  readonly id: string;
  readonly when: RoutingCondition;
  readonly then: RoutingOutcome;
}

/** The routing table (`config/routing.json`). */
export interface RoutingConfig {
  readonly triage: TriageTarget;
  readonly queues: readonly RoutingQueue[];
  /** In priority order: the first rule that matches wins. */
  readonly rules: readonly RoutingRule[];
}

/** What routing needs to know about a service of the catalogue. */
export interface RoutedService {
  readonly unit: string;
  readonly ticketType: TicketType;
}

/** The part of the loaded catalogue that routing reads; the `Catalogue` from `src/config` satisfies it. */
export interface RoutingCatalogue {
  readonly routing: RoutingConfig;
  serviceByCode(code: string): RoutedService | undefined;
}

export interface RoutingInput {
  channel: Channel;
  hint: RoutingHint;
}

/** Where a contact goes and why. */
export interface RoutingDecision {
  unitCode: string;
  queue: string;
  /** Skills an agent must have to take the ticket; a fresh array the caller may keep or change. */
  requiredSkills: string[];
  serviceCode?: string;
  /** Absent when neither the rule nor a service determines it (always absent for triage). */
  ticketType?: TicketType;
  /** The matching rule's id, {@link SERVICE_ROUTE_ID} or {@link TRIAGE_ROUTE_ID}; the config forbids those two as rule ids. */
  ruleId: string;
}

/**
 * Folds text for keyword matching: lowercase, accents removed, every run of characters other than letters and
 * digits turned into one space, trimmed. "¡Hay DESMONTE en la Av. Bolívar!" becomes "hay desmonte en la av
 * bolivar". The ñ folds to n as well: citizens typing without a Spanish keyboard write "senalizacion".
 * Compatibility decomposition (NFKD rather than NFD) also folds "N.º" to "n o" and full-width or ligature forms
 * that some phones and PDF copy-pastes produce to plain letters.
 */
export function normalizeForMatching(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// Padding both sides with a space turns "whole words only" into a plain substring test on folded text.
function containsPhrase(paddedText: string, phrase: string): boolean {
  const folded = normalizeForMatching(phrase);
  return folded !== '' && paddedText.includes(` ${folded} `);
}

function sameText(given: string | undefined, expected: string): boolean {
  return given !== undefined && given.trim() === expected;
}

function matches(rule: RoutingRule, input: RoutingInput, paddedText: string | undefined): boolean {
  const { when } = rule;
  const { hint } = input;
  if (when.channel !== undefined) {
    const channels: readonly Channel[] = typeof when.channel === 'string' ? [when.channel] : when.channel;
    if (!channels.includes(input.channel)) return false;
  }
  if (when.ivrDigits !== undefined && !sameText(hint.ivrDigits, when.ivrDigits)) return false;
  if (when.kioskService !== undefined && !sameText(hint.kioskService, when.kioskService)) return false;
  if (when.emailTo !== undefined && !sameText(hint.emailTo?.toLowerCase(), when.emailTo.toLowerCase())) return false;
  if (when.serviceCode !== undefined && !sameText(hint.serviceCode, when.serviceCode)) return false;
  if (when.keywords !== undefined) {
    if (paddedText === undefined) return false;
    if (!when.keywords.some((keyword) => containsPhrase(paddedText, keyword))) return false;
  }
  return true;
}

// A rule whose unit cannot be resolved is treated as not matching. The loader rejects such a rule, so this only
// happens with a hand-built table, and skipping it sends the contact on to later rules or triage, never nowhere.
function decideByRule(rule: RoutingRule, catalogue: RoutingCatalogue): RoutingDecision | undefined {
  const serviceCode = rule.then.service ?? rule.when.serviceCode;
  const service = serviceCode === undefined ? undefined : catalogue.serviceByCode(serviceCode);
  const unitCode = rule.then.unit ?? service?.unit;
  if (unitCode === undefined) return undefined;
  const ticketType = rule.then.ticketType ?? service?.ticketType;
  return {
    unitCode,
    queue: rule.then.queue,
    requiredSkills: [...rule.then.skills],
    ...(serviceCode === undefined ? {} : { serviceCode }),
    ...(ticketType === undefined ? {} : { ticketType }),
    ruleId: rule.id,
  };
}

function decideByService(
  serviceCode: string,
  service: RoutedService,
  routing: RoutingConfig,
): RoutingDecision | undefined {
  // The loader requires a queue for every unit a service names; without one the service cannot route by itself.
  const queue = routing.queues.find((candidate) => candidate.unit === service.unit);
  if (queue === undefined) return undefined;
  return {
    unitCode: service.unit,
    queue: queue.code,
    requiredSkills: [],
    serviceCode,
    ticketType: service.ticketType,
    ruleId: SERVICE_ROUTE_ID,
  };
}

/**
 * Decides where a new contact goes. Pure and total: every input gets a decision, unmatched ones the triage
 * queue. See the module comment for the order of precedence and how keywords match.
 */
export function routeContact(input: RoutingInput, catalogue: RoutingCatalogue): RoutingDecision {
  const { routing } = catalogue;
  const text = input.hint.text;
  const paddedText = text === undefined ? undefined : ` ${normalizeForMatching(text)} `;

  const serviceCode = input.hint.serviceCode?.trim();
  const service = serviceCode === undefined ? undefined : catalogue.serviceByCode(serviceCode);
  if (serviceCode !== undefined && service !== undefined) {
    for (const rule of routing.rules) {
      if (rule.when.serviceCode !== serviceCode || !matches(rule, input, paddedText)) continue;
      const decision = decideByRule(rule, catalogue);
      if (decision !== undefined) return decision;
    }
    const decision = decideByService(serviceCode, service, routing);
    if (decision !== undefined) return decision;
  }

  for (const rule of routing.rules) {
    if (!matches(rule, input, paddedText)) continue;
    const decision = decideByRule(rule, catalogue);
    if (decision !== undefined) return decision;
  }

  return {
    unitCode: routing.triage.unit,
    queue: routing.triage.queue,
    requiredSkills: [...routing.triage.skills],
    ruleId: TRIAGE_ROUTE_ID,
  };
}
