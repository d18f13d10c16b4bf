import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { actionExecutionMachine } from '../machines/action-execution.ts';
import { toMermaid } from '../src/cli/machine-diagram.ts';

describe('docs', () => {
  it('docs/machine.md shows the diagram the machine draws today', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../docs/machine.md'), 'utf8');
    expect(doc).toContain(toMermaid(actionExecutionMachine));
  });
});
