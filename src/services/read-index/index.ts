/**
 * The read index: what staff reads need besides the tickets (the subject search's postings and words, a referral's
 * unit where an index finds it), repaired after a crash between two writes and rebuilt from the tickets themselves,
 * a batch at a time and resumable (the first start of a version that needs it, `npm run store:reindex`).
 */
export { ensureReadIndex, READ_INDEX_VERSION, readIndexReady, readIndexRun, rebuildReadIndexStep, reconcileReadIndex, type ReadIndexContext, type ReadIndexPhase, type ReadIndexReport } from './read-index.service.js';
