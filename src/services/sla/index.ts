/**
 * SLA clocks in business time (Lima calendar and holidays): started at intake, paused while the office waits for the
 * citizen, restarted on reopen; delayed checks that warn and record breaches; the prórroga of a request for public
 * information (Ley 27806); and the reconcile that repairs checks a crash left unscheduled.
 */
export { handleSlaCheck } from './sla-escalation.service.js';
export { extendSla, type SlaExtensionInput, type SlaExtensionResult } from './sla-extension.service.js';
export { reconcileSla, type SlaReconcileReport } from './sla-reconcile.service.js';
export { initialSla, recordFirstResponse, scheduleNewSlaChecks, slaOnTransition, startSla, syncSlaJobs } from './sla.service.js';
