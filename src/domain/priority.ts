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

/** An entry waiting in a queue, as far as ordering is concerned. */
export interface QueueEntry {
  score: number;
  enqueuedAt: Date;
  id: string;
}

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

/**
 * Comparator for `Array.prototype.sort`: higher score first, then oldest `enqueuedAt` first, then `id` in
 * code-unit order so that equal entries still sort the same way on every node.
 */
export function compareQueueEntries(a: QueueEntry, b: QueueEntry): number {
  if (a.score !== b.score) return b.score - a.score;
  const age = a.enqueuedAt.getTime() - b.enqueuedAt.getTime();
  if (age !== 0) return age;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}
