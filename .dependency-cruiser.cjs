// @ts-check
// The graph-level rules of the layout (docs/architecture.md): imports run one way, with no circle, and
// a capability of src/services is reached only through its public face. `npm run lint` runs them after ESLint (whose
// rules are per import); test/unit/dependency-rules.spec.ts proves each rule reports what it forbids.

/** A file of a capability folder other than its public face: `src/services/<capability>/<file>.ts`. */
const CAPABILITY_INSIDE = '^src/services/([^/]+)/(?!index\\.ts$)[^/]+$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import circle: no reading order, and an edit anywhere can reach everything. Where a lower module must trigger an ' +
        'upper one, it does so through an event or a job, not an import. Type-only imports count too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'capability-face',
      severity: 'error',
      comment:
        "A capability of src/services is used through its public face (its index.ts) by every other capability: what it does " +
        'not export there is its own business.',
      from: { path: '^src/services/([^/]+)/' },
      to: { path: CAPABILITY_INSIDE, pathNot: '^src/services/$1/' },
    },
    {
      name: 'capability-face-outside',
      severity: 'error',
      comment: 'Outside src/services (HTTP, sockets, workers, channels, the composition root), a capability is used through its public face (its index.ts).',
      from: { pathNot: '^src/services/' },
      to: { path: CAPABILITY_INSIDE },
    },
    {
      name: 'channels-are-transport',
      severity: 'error',
      comment:
        "A channel adapter is transport: it hands the core's contract to its inbound port and never calls a use case itself " +
        '(the composition root binds the port, src/wiring). It may name the types a use case answers with.',
      from: { path: '^channels/' },
      to: { path: '^src/(services|store|queues|live|realtime)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Type-only imports are part of the graph: a circle of types is still a circle for whoever reads the code.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.cache|data|dist)/' },
    progress: { type: 'none' },
  },
};
