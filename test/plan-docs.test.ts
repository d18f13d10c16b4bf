/** docs/plans.md shows real output: each example block is what the code prints today. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { levelsExample, pausedDecisionExample, validationExample, walkthroughExample } from './support/plan-doc-examples.ts';

const doc = readFileSync(fileURLToPath(new URL('../docs/plans.md', import.meta.url)), 'utf8');

describe('docs/plans.md', () => {
  it('shows the problems validatePlan lists for the onboarding plan with mistakes', () => {
    expect(doc).toContain(`\`\`\`\n${validationExample()}\n\`\`\``);
  });

  it('shows the levels of the example onboarding plan', () => {
    expect(doc).toContain(`\`\`\`\n${levelsExample()}\n\`\`\``);
  });

  it('shows the walk-through decisions and the paused decision as decidePlan makes them', () => {
    expect(doc).toContain(`\`\`\`\n${walkthroughExample()}\n\`\`\``);
    expect(doc).toContain(`\`\`\`json\n${pausedDecisionExample()}\n\`\`\``);
  });
});
