import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { actionExecutionMachine } from '../machines/action-execution.ts';
import { toMermaid } from '../src/cli/machine-diagram.ts';

describe('docs', () => {
  it('docs/machine.md shows the diagram the machine draws today', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../docs/machine.md'), 'utf8');
    expect(doc).toContain(toMermaid(actionExecutionMachine));
  });

  it('docs/viewer.md shows the list, an execution page and a live page, and every PNG it names exists', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../docs/viewer.md'), 'utf8');
    const images = [...doc.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]);
    expect(images).toEqual(expect.arrayContaining(['viewer-list.png', 'viewer-execution.png', 'viewer-live.png']));
    for (const image of images) expect(existsSync(resolve(import.meta.dirname, '../docs', image!)), image).toBe(true);
  });
});
