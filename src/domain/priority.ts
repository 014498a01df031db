/**
 * Queue ordering.
 *
 * Three classes, highest first:
 * - `preferential`: atención preferente under Ley 28683 (pregnant women, children, people aged 60 or more,
 *   people with disabilities).
 * - `vpp`: Vecino Puntual de Pueblo Libre, taxpayers who pay on time.
 * - `normal`: everyone else.
 *
 * A ticket whose SLA is at risk is raised exactly one class: an at-risk `normal` ticket ranks with `vpp`
 * tickets and an at-risk `vpp` ticket ranks with `preferential` ones. Nothing ranks above `preferential`, so
 * an at-risk `preferential` ticket keeps its score. "Ranks with" means an equal score: within a score the
 * oldest ticket is served first, so a lifted ticket does not jump ahead of older tickets of the class it
 * joins, it only stops being overtaken by them.
 */

export const PRIORITY_CLASSES = ['preferential', 'vpp', 'normal'] as const;

export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/** Class names for the counter display and agent screens, in Spanish (es-PE). */
export const PRIORITY_LABELS_ES: Readonly<Record<PriorityClass, string>> = {
  preferential: 'Atención preferente',
  vpp: 'Vecino Puntual',
  normal: 'Atención general',
};

const CLASS_SCORE: Readonly<Record<PriorityClass, number>> = {
  normal: 1,
  vpp: 2,
  preferential: 3,
};

const MAX_SCORE = CLASS_SCORE.preferential;

/** The class of a contact. Preferential attention is a legal right and wins over VPP when both apply. */
export function priorityClassOf(input: { preferential: boolean; vpp: boolean }): PriorityClass {
  if (input.preferential) return 'preferential';
  if (input.vpp) return 'vpp';
  return 'normal';
}

/**
 * The ordering score of a ticket: higher is served first. Scores are 1 (`normal`), 2 (`vpp`) and 3
 * (`preferential`); an SLA at risk adds one, capped at 3.
 */
export function priorityScore(input: { priorityClass: PriorityClass; slaAtRisk: boolean }): number {
  const base = CLASS_SCORE[input.priorityClass];
  return Math.min(base + (input.slaAtRisk ? 1 : 0), MAX_SCORE);
}

/** Every score a ticket can have, lowest first. */
export const PRIORITY_SCORES: readonly number[] = [...new Set(Object.values(CLASS_SCORE))].sort((x, y) => x - y);

/** Width of one score's band of order keys: arrival instants in ms stay below it until the year 2286. */
const BAND = 1e13;

/**
 * The key a queue is served by, lowest first: a higher score sits in a lower band, and within a band the earlier
 * arrival comes first; equal keys go by ticket id. This is the calling order's one home: the live state's scripts
 * (src/live) store these keys and only compare them, for the agents' queues and the counter hall's alike. The hall
 * passes the score of the turn's class alone (see `hallEntryOf`), so an SLA at risk never lifts a turn there.
 */
export function queueOrder(priorityScore: number, arrivedAt: Date): number {
  return (MAX_SCORE + 1 - priorityScore) * BAND + arrivedAt.getTime();
}

/** The keys of one score's band, for reading the oldest arrival of each class of a queue. */
export function orderBand(priorityScore: number): { min: number; max: number } {
  const min = (MAX_SCORE + 1 - priorityScore) * BAND;
  return { min, max: min + BAND - 1 };
}

/** The arrival an order key carries. */
export function arrivalOf(order: number): Date {
  return new Date(order % BAND);
}
