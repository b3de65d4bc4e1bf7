import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, 'fixtures');
const FIXTURE_FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.fixture')).sort();

/**
 * The layer rules of eslint.config.mjs (docs/layers.md), proven on fixtures: each fixture is
 * linted with the repository's own configuration as if it sat at the path its first line names
 * (tools/lint/lint-fixtures.mjs), and the errors are exactly the ones its forbidden imports must
 * raise, no more, no fewer.
 */
describe('layer rules (ESLint on fixtures)', () => {
  let linted: Record<string, { line: number; message: string }[]> = {};

  beforeAll(() => {
    const out = execFileSync(process.execPath, [join(__dirname, 'lint-fixtures.mjs'), ...FIXTURE_FILES.map((f) => join(FIXTURES, f))], { encoding: 'utf8' });
    linted = JSON.parse(out) as typeof linted;
  }, 60_000);

  const lintFixture = (name: string): { line: number; message: string }[] => {
    const messages = linted[name];
    if (!messages) throw new Error(`${name} was not linted`);
    return messages;
  };

  const importOnLine = (name: string, line: number): string =>
    /from '([^']+)'/.exec(readFileSync(join(FIXTURES, name), 'utf8').split('\n')[line - 1] ?? '')?.[1] ?? '?';

  it('fails a framework, database, broker, Node or infrastructure import in a domain folder', () => {
    const name = 'domain-framework-import.fixture';
    const errors = lintFixture(name);
    expect(errors.map((e) => importOnLine(name, e.line))).toEqual(['@nestjs/common', 'mongoose', 'kafkajs', 'node:crypto', 'crypto', '@keyward/event-store']);
    for (const e of errors) expect(e.message).toMatch(/domain code is pure/);
  });

  it('fails a use case importing another use case, sideways or through the commands/queries tree', () => {
    const name = 'cross-use-case-import.fixture';
    const errors = lintFixture(name);
    expect(errors.map((e) => importOnLine(name, e.line))).toEqual([
      '../change-key/change-key.dto', '../../commands/create-key/create-key.dto', '../../queries/get-key/get-key.http.controller',
    ]);
    for (const e of errors) expect(e.message).toMatch(/does not import another use case/);
  });

  it('passes pure domain code', async () => {
    expect(lintFixture('clean-domain.fixture')).toEqual([]);
  });

  it('has a test for every fixture', () => {
    expect(FIXTURE_FILES)
      .toEqual(['clean-domain.fixture', 'cross-use-case-import.fixture', 'domain-framework-import.fixture']);
  });
});
