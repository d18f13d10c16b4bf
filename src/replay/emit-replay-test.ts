/**
 * `replay --emit-test FILE`: turns journaled executions into a self-contained vitest file. It embeds
 * each execution's recording (its recorded responses, clock readings and draws), the definition and
 * catalog entry it replays with, and the transitions the journal recorded — and asserts that
 * replaying the recording against the machine takes exactly those transitions. It imports only
 * the replay entry point and the in-memory catalog: from the repository's source when the file is
 * inside it, else from the package's public paths. No network: a replay sends nothing.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiCatalogEntry } from '../schemas/catalog.ts';
import type { Recording } from './recording.ts';
import type { ReplayReport } from './replay-report.ts';

/** One execution to emit a test for. */
export interface EmittedReplay {
  recording: Recording;
  /** The definition the replay ran with (embedded, so a person can edit it for a what-if). */
  definition: ActionDefinition | undefined;
  catalogEntry: ApiCatalogEntry | null;
  report: ReplayReport;
}

const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');

/** Where the emitted file imports from: source paths inside this repository, public paths outside. */
export function emittedImports(file: string): { replay: string; catalog: string; recordingType: string; definitionType: string; catalogType: string } {
  const target = resolve(file);
  if (!target.startsWith(`${PACKAGE_ROOT}${sep}`)) {
    return {
      replay: 'action-executor/replay',
      catalog: 'action-executor/catalog-registry',
      recordingType: 'action-executor/replay',
      definitionType: 'action-executor/schemas/action-definition',
      catalogType: 'action-executor/schemas/catalog',
    };
  }
  const from = (path: string): string => {
    const rel = relative(dirname(target), resolve(PACKAGE_ROOT, path)).split(sep).join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  return {
    replay: from('src/replay/replay-recording.ts'),
    catalog: from('src/catalog/catalog-registry.ts'),
    recordingType: from('src/replay/recording.ts'),
    definitionType: from('src/schemas/action-definition.ts'),
    catalogType: from('src/schemas/catalog.ts'),
  };
}

/** JSON indented under `indent` spaces, for embedding as a literal. */
function literal(value: unknown, indent: number): string {
  return JSON.stringify(value, null, 2).split('\n').join(`\n${' '.repeat(indent)}`);
}

/** A string literal for a test title. */
const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, ' ')}'`;

/** The test of one execution (assertions first) and its data (after: only the test body reads it). */
function block(item: EmittedReplay, index: number): { test: string; data: string } {
  const { recording, report } = item;
  const recorded = recording.transitions
    .filter((t) => t.from !== 'created')
    .sort((a, b) => a.seq - b.seq)
    .map((t) => {
      const { facts: _facts, ...data } = (t.data ?? {}) as Record<string, unknown>;
      return { from: t.from, to: t.to, event: t.event, data };
    });
  const path = ['resolving', ...recorded.map((t) => t.to)].join(' → ');
  const finalStatus = (recording.result as { status?: string } | null)?.status;
  const ending = finalStatus ? `expect(report.finalState?.status).toBe(${quote(finalStatus)});` : `expect(report.stop?.reason).toBe(${quote(report.stop?.reason ?? 'journal_ends')});`;
  // The definition travels beside the recording, not inside it: edit it to see what would change.
  const embedded = { ...recording, definition: null };
  const n = index + 1;
  const test = `
describe(${quote(`replay of ${recording.executionId} / ${recording.actionId} (${recording.definitionId})`)}, () => {
  it(${quote(`takes the journaled transitions ${path}`)}, async () => {
    const report = await replayRecording(recording${n}, { definition: definition${n}, catalog: createInMemoryCatalog(catalogEntries${n}) });
    expect(report.steps.map(({ from, to, event, data }) => ({ from, to, event, data }))).toEqual([
${recorded.map((t) => `      ${JSON.stringify(t)},`).join('\n')}
    ]);
    expect(report.divergences).toEqual([]);
    expect(report.requestsRefused).toBe(0);
    ${ending}
  });
});
`;
  const data = `
// ${recording.executionId} / ${recording.actionId}: the definition it replays with (edit it for a what-if),
// the catalog entry its request matched, and the journal's recording (recorded responses, clock, draws).
const definition${n}: ActionDefinition | undefined = ${item.definition ? `${literal(item.definition, 0)} as unknown as ActionDefinition` : 'undefined'};

const catalogEntries${n} = ${literal(item.catalogEntry ? [item.catalogEntry] : [], 0)} as unknown as ApiCatalogEntryInput[];

const recording${n} = ${literal(embedded, 0)} as unknown as Recording;
`;
  return { test, data };
}

/** The source of a vitest file replaying `items` (one describe per execution). */
export function emitReplayTest(items: readonly EmittedReplay[], file: string, generatedAt: Date): string {
  const from = emittedImports(file);
  const names = items.map((i) => `${i.recording.executionId} / ${i.recording.actionId}`);
  const blocks = items.map(block);
  return `/**
 * Emitted by \`action-executor replay --emit-test\` on ${generatedAt.toISOString()} from the journal:
${names.map((name) => ` *   ${name}`).join('\n')}
 * Each test replays the execution's recorded responses, clock readings and random draws against the
 * machine (offline: nothing is sent) and asserts the transitions the journal recorded. It fails when
 * the machine, the executor's decisions or the embedded definition would decide differently.
 */
import { describe, expect, it } from 'vitest';
import { replayRecording } from '${from.replay}';
import { createInMemoryCatalog } from '${from.catalog}';
import type { Recording } from '${from.recordingType}';
import type { ActionDefinition } from '${from.definitionType}';
import type { ApiCatalogEntryInput } from '${from.catalogType}';
${blocks.map((b) => b.test).join('')}${blocks.map((b) => b.data).join('')}`;
}
