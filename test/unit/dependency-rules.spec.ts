import { expect } from 'chai';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/dependency-rules/', import.meta.url));

/** The project's own .dependency-cruiser.cjs, as `npm run lint` uses it. */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

/** The rules the tree at `baseDir` breaks, as `rule: from → to`. */
async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const { output } = await cruise(paths, { ...config.options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true, baseDir });
  if (typeof output === 'string') throw new Error('dependency-cruiser answered text, not a result');
  const result: ICruiseResult = output;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('lint: the dependency rules report what they forbid, and the project keeps them', () => {
  it('report a circle (type-only imports included), a capability reached past its face, and a channel calling a use case', async () => {
    expect(await violations(fixture, ['src', 'channels'])).to.deep.equal([
      'capability-face-outside: channels/fax/fax.adapter.ts → src/services/alpha/alpha.service.ts',
      'capability-face: src/services/alpha/alpha.service.ts → src/services/beta/beta.service.ts',
      'channels-are-transport: channels/fax/fax.adapter.ts → src/services/alpha/alpha.service.ts',
      'no-circular: src/services/alpha/alpha.service.ts → src/services/beta/beta.service.ts',
    ]);
  });

  it('find nothing to report in the project itself', async () => {
    expect(await violations(root, ['src', 'channels', 'workers', 'bench'])).to.deep.equal([]);
  });
});
