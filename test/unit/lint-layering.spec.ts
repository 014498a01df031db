import { expect } from 'chai';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('../../', import.meta.url));

const LAYERING_RULES = ['no-restricted-imports', 'no-restricted-properties'];

/**
 * The project's own eslint.config.js, as `npm run lint` uses it, minus type information: the snippets below are
 * not files of the TypeScript project, and the layering rules do not need types.
 */
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

/** The layering rules `code` breaks when it sits at `filePath`. */
async function layeringProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && LAYERING_RULES.includes(m.ruleId)).map((m) => m.ruleId ?? '');
}

describe('lint: the layering rules report what they forbid and allow it at home', () => {
  it('keeps mongoose in src/store', async () => {
    const code = "import { Types } from 'mongoose';\nexport const id = new Types.ObjectId();\n";
    expect(await layeringProblems('src/services/example.service.ts', code)).to.deep.equal(['no-restricted-imports']);
    expect(await layeringProblems('src/http/example.routes.ts', code)).to.deep.equal(['no-restricted-imports']);
    expect(await layeringProblems('workers/example.worker.ts', code)).to.deep.equal(['no-restricted-imports']);
    expect(await layeringProblems('src/services/example.service.ts', "import type { Connection } from 'mongoose';\nexport type C = Connection;\n")).to.deep.equal([
      'no-restricted-imports',
    ]);
    expect(await layeringProblems('src/store/example.repository.ts', code)).to.deep.equal([]);
  });

  it('reads process.env only in src/config and src/embedded', async () => {
    const code = "export const level = process.env.LOG_LEVEL;\nexport const { PORT } = process.env;\n";
    expect(await layeringProblems('src/services/example.service.ts', code)).to.deep.equal(['no-restricted-properties', 'no-restricted-properties']);
    expect(await layeringProblems('channels/email/example.adapter.ts', code)).to.deep.equal(['no-restricted-properties', 'no-restricted-properties']);
    expect(await layeringProblems('src/store/example.repository.ts', "import { env } from 'node:process';\nexport const uri = env.MONGODB_URI;\n")).to.deep.equal([
      'no-restricted-imports',
    ]);
    expect(await layeringProblems('src/config/example.ts', code)).to.deep.equal([]);
    expect(await layeringProblems('src/embedded/example.ts', code)).to.deep.equal([]);
    expect(await layeringProblems('test/support/example.ts', code)).to.deep.equal([]);
  });

  it('keeps src/domain free of I/O, packages other than zod and the Spanish text libraries, and outer layers', async () => {
    for (const source of ['node:fs', 'fs/promises', 'ioredis', 'mongoose', 'bullmq', '../store/ticket.repository.js']) {
      const code = `import * as io from '${source}';\nexport const used = io;\n`;
      expect(await layeringProblems('src/domain/example.ts', code), source).to.deep.equal(['no-restricted-imports']);
    }
    expect(await layeringProblems('src/domain/example.ts', "import { computeDueAt } from './sla.js';\nexport const f = computeDueAt;\n")).to.deep.equal([]);
    expect(await layeringProblems('src/domain/example.ts', "import { z } from 'zod';\nexport const schema = z.string();\n")).to.deep.equal([]);
    expect(await layeringProblems('src/domain/example.ts', "import { stemmer } from '@orama/stemmers/spanish';\nexport const s = stemmer;\n")).to.deep.equal([]);
  });

  it('keeps raw Redis and BullMQ out of the use cases, and lets the queues module and the store use them', async () => {
    const code = "import { Redis } from 'ioredis';\nimport { Queue } from 'bullmq';\nexport const used = [Redis, Queue];\n";
    expect(await layeringProblems('src/services/example.service.ts', code)).to.deep.equal(['no-restricted-imports', 'no-restricted-imports']);
    expect(await layeringProblems('src/queues/example.ts', code)).to.deep.equal([]);
    expect(await layeringProblems('src/store/example.repository.ts', code)).to.deep.equal([]);
  });
});
