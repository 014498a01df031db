/**
 * What people read or hear (es-PE) lives in `config/templates.json` as templates keyed by id, so the office can
 * word it without a deployment and every channel takes its prompts, acknowledgements, notices and SMS from one
 * place. A template is text with named placeholders, `{trackingCode}`; there is no escape syntax, so a brace that
 * does not open or close a placeholder is an error.
 *
 * The code declares below, per id, which placeholders it fills in and which of them the text must use (a notice
 * the law requires to state the reason and the new date cannot lose them in an edit). The catalogue loader checks
 * every template against that declaration at boot, and {@link renderMessage} refuses at run time what the check
 * would have refused, so a wrong template never reaches a citizen as `{reason}` or as a sentence cut short.
 */

import { smsLength, toGsm7 } from './sms-text.js';

/** What the code declares about one template id. */
export interface TemplateSpec {
  /** Every placeholder the code fills in for this id. */
  readonly placeholders: readonly string[];
  /** Placeholders the text must use (in the subject or the body). */
  readonly required: readonly string[];
  /** Whether the message has a subject line (an e-mail subject; an SMS channel sends the body alone). */
  readonly subject: boolean;
  /**
   * For a text message: one value per placeholder, as long as any the code fills in. Rendered with them and folded to
   * GSM-7 as it is sent (`sms-text.ts`), the text must fit in one SMS segment (160 characters), or the boot refuses it:
   * a reworded notice must not quietly double what each SMS costs.
   */
  readonly smsSample?: Readonly<Record<string, string>>;
}

/**
 * The longest values an SMS placeholder takes: a tracking code with the longest prefix TRACKING_CODE_PREFIX allows
 * (ten characters), a unit's `shortName` (the longest shipped one has 25 characters), the office's number as a
 * Peruvian reads it (`nationalPhone`).
 */
const SMS_SAMPLE_VALUES = { trackingCode: 'MUNIPLIBRE-2026-000123', unitName: 'Obras Privadas y Catastro', officePhone: '(01) 463-0000' } as const;
type SmsPlaceholder = keyof typeof SMS_SAMPLE_VALUES;

/** A text message to a citizen: no subject, checked against one segment with the longest values. */
function smsSpec<const P extends readonly SmsPlaceholder[], const R extends readonly P[number][]>(placeholders: P, required: R) {
  return {
    placeholders,
    required,
    subject: false,
    smsSample: Object.fromEntries(placeholders.map((name) => [name, SMS_SAMPLE_VALUES[name]])),
  } as const;
}

/**
 * Every template the system renders. Ids are `<area>.<message>`; staff notifications are `notification.<kind>`,
 * after the notification kind they carry. Channels add their prompts and acknowledgements here (`ivr.*`,
 * `intake.*`, ...), and the loader then demands them in `config/templates.json`.
 */
export const MESSAGE_TEMPLATES = {
  'sla.extension_notice': {
    placeholders: ['trackingCode', 'dueDate', 'reason'],
    // TUO de la Ley 27806, art. 11 lit. g: the citizen is told the reason and the new date.
    required: ['trackingCode', 'dueDate', 'reason'],
    subject: true,
  },
  // Notes on a case for the agent, when an email could not be kept whole (the email channel, inbound).
  'email.attachments_not_kept': {
    placeholders: ['files', 'maxFileSize', 'maxMessageSize'],
    required: ['files'],
    subject: false,
  },
  'email.too_large': {
    placeholders: ['size', 'readSize'],
    required: ['size'],
    subject: false,
  },
  'email.partly_read': {
    placeholders: ['problem'],
    required: [],
    subject: false,
  },
  'notification.sla_at_risk': {
    placeholders: ['trackingCode', 'dueAt'],
    required: ['trackingCode'],
    subject: false,
  },
  'notification.first_response_breached': {
    placeholders: ['trackingCode', 'dueAt'],
    required: ['trackingCode'],
    subject: false,
  },
  'notification.sla_breached': {
    placeholders: ['trackingCode', 'dueAt'],
    required: ['trackingCode'],
    subject: false,
  },
  'notification.report_back': {
    placeholders: ['unitName', 'trackingCode', 'summary'],
    required: ['trackingCode'],
    subject: false,
  },
  // To the agent whose softphone rang unanswered: why they are now "away", and how to come back.
  'notification.call_missed': {
    placeholders: ['trackingCode'],
    required: ['trackingCode'],
    subject: false,
  },
  // Text messages to citizens (src/services/citizen-messages): the tracking code and nothing personal beyond it.
  // {officePhone} is the municipality's number (TWILIO_CALLER_ID) written as Peruvians dial it.
  'sms.call_registered': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  'sms.callback_booked': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  'sms.voicemail_received': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  'sms.referred': smsSpec(['trackingCode', 'unitName', 'officePhone'], ['trackingCode', 'unitName']),
  'sms.resolved': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  'sms.reopened': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  'sms.cancelled': smsSpec(['trackingCode', 'officePhone'], ['trackingCode']),
  // Mails to citizens (src/services/citizen-messages). The subject carries the tracking code: the case's threading key.
  // {subject} is the case's subject as the citizen wrote it; {unitName} the unit's name.
  'email.acknowledgement': { placeholders: ['trackingCode', 'subject'], required: ['trackingCode'], subject: true },
  // An agent's answer by mail: {reply} is what the agent wrote, {agentName} who wrote it.
  'email.reply': { placeholders: ['trackingCode', 'subject', 'reply', 'agentName'], required: ['trackingCode', 'reply'], subject: true },
  'email.referred': { placeholders: ['trackingCode', 'subject', 'unitName'], required: ['trackingCode', 'unitName'], subject: true },
  'email.resolved': { placeholders: ['trackingCode', 'subject'], required: ['trackingCode'], subject: true },
  'email.reopened': { placeholders: ['trackingCode', 'subject'], required: ['trackingCode'], subject: true },
  'email.cancelled': { placeholders: ['trackingCode', 'subject'], required: ['trackingCode'], subject: true },
} as const satisfies Record<string, TemplateSpec>;

export type TemplateId = keyof typeof MESSAGE_TEMPLATES;

/** The values a template of `Id` is rendered with: one string per declared placeholder. */
export type TemplateValues<Id extends TemplateId> = Readonly<Record<(typeof MESSAGE_TEMPLATES)[Id]['placeholders'][number], string>>;

/** One template's text as configured. */
export interface TemplateText {
  readonly subject?: string;
  readonly body: string;
}

/** The configured templates by id (the loaded catalogue's `templates`). */
export type MessageTemplates = Readonly<Record<string, TemplateText | undefined>>;

export interface RenderedMessage {
  subject?: string;
  body: string;
}

export function isTemplateId(id: string): id is TemplateId {
  return Object.hasOwn(MESSAGE_TEMPLATES, id);
}

export const TEMPLATE_IDS: readonly TemplateId[] = Object.keys(MESSAGE_TEMPLATES).filter(isTemplateId);

const PLACEHOLDER_NAME = /^[a-z][A-Za-z0-9]*$/;

/** The placeholders a text uses, in order of first use, or what is wrong with its braces. */
export function parsePlaceholders(text: string): { ok: true; names: string[] } | { ok: false; problem: string } {
  const names: string[] = [];
  let index = 0;
  for (;;) {
    const open = text.indexOf('{', index);
    const close = text.indexOf('}', index);
    if (open < 0 && close < 0) return { ok: true, names };
    if (close >= 0 && (open < 0 || close < open)) return { ok: false, problem: `"}" at position ${close} closes no placeholder` };
    const end = text.indexOf('}', open + 1);
    const nextOpen = text.indexOf('{', open + 1);
    if (end < 0 || (nextOpen >= 0 && nextOpen < end)) return { ok: false, problem: `"{" at position ${open} is not closed` };
    const name = text.slice(open + 1, end);
    if (!PLACEHOLDER_NAME.test(name)) {
      return { ok: false, problem: `{${name}} is not a placeholder name (a lowercase letter, then letters or digits)` };
    }
    if (!names.includes(name)) names.push(name);
    index = end + 1;
  }
}

/** One thing wrong with a template, `field` being where (`subject`, `body`, or the template itself). */
export interface TemplateProblem {
  field?: 'subject' | 'body';
  message: string;
}

const list = (names: readonly string[]): string => names.map((name) => `{${name}}`).join(', ');

/** What is wrong with `template` as the text of `id`; empty when it may be used. */
export function templateProblems(id: TemplateId, template: TemplateText): TemplateProblem[] {
  const spec: TemplateSpec = MESSAGE_TEMPLATES[id];
  const problems: TemplateProblem[] = [];
  if (spec.subject && template.subject === undefined) problems.push({ message: 'needs a "subject": this message has a subject line' });
  if (!spec.subject && template.subject !== undefined) problems.push({ field: 'subject', message: 'this message has no subject line' });
  const used = new Set<string>();
  let parsedAll = true;
  for (const field of ['subject', 'body'] as const) {
    const text = template[field];
    if (text === undefined) continue;
    const parsed = parsePlaceholders(text);
    if (!parsed.ok) {
      problems.push({ field, message: parsed.problem });
      parsedAll = false;
      continue;
    }
    const unknown = parsed.names.filter((name) => !spec.placeholders.includes(name));
    if (unknown.length > 0) {
      problems.push({ field, message: `unknown placeholder ${list(unknown)}; "${id}" offers ${list(spec.placeholders)}` });
    }
    for (const name of parsed.names) used.add(name);
  }
  // Which placeholders a text with broken braces uses is anybody's guess; its brace problem is the one to fix.
  const missing = parsedAll ? spec.required.filter((name) => !used.has(name)) : [];
  if (missing.length > 0) problems.push({ message: `must use ${list(missing)}` });
  if (spec.smsSample !== undefined && problems.length === 0) {
    const length = smsLength(toGsm7(fill(id, template.body, spec.smsSample)));
    if (length.segments > 1) {
      problems.push({
        field: 'body',
        message: `is ${String(length.units)} characters as an SMS with the longest values (${length.encoding}), ${String(length.segments)} segments; keep it to one (160 characters)`,
      });
    }
  }
  return problems;
}

/** A template that cannot be rendered: a bug or a catalogue that skipped validation, never the citizen's input. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function fill(id: string, text: string, values: Readonly<Record<string, string>>): string {
  const parsed = parsePlaceholders(text);
  if (!parsed.ok) throw new TemplateError(`template "${id}": ${parsed.problem}`);
  const missing = parsed.names.filter((name) => !Object.hasOwn(values, name));
  if (missing.length > 0) throw new TemplateError(`template "${id}" uses ${list(missing)}, which it is not given`);
  return text.replace(/\{([^{}]*)\}/g, (_match, name: string) => values[name] ?? '');
}

/**
 * Renders template `id` of `templates` with `values`. Values are inserted as they are (no placeholder inside a
 * value is expanded).
 *
 * @throws TemplateError when the template is missing or does not pass {@link templateProblems}
 */
export function renderMessage<Id extends TemplateId>(templates: MessageTemplates, id: Id, values: TemplateValues<Id>): RenderedMessage {
  const template = templates[id];
  if (template === undefined) throw new TemplateError(`template "${id}" is not configured`);
  const problems = templateProblems(id, template);
  if (problems.length > 0) throw new TemplateError(`template "${id}": ${problems.map((problem) => problem.message).join('; ')}`);
  const body = fill(id, template.body, values);
  return template.subject === undefined ? { body } : { subject: fill(id, template.subject, values), body };
}
