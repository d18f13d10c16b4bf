#!/usr/bin/env node
// Runs the TypeScript CLI straight from source through tsx, so `npx action-executor` works right after
// `npm install` on a fresh clone with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/cli.ts');
process.exitCode = await main(process.argv.slice(2));
