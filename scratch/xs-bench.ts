import { initialTransition, transition } from 'xstate';
import { actionExecutionMachine } from '../machines/action-execution.ts';
const input = { executionId: 'e', actionId: 'a' };
const location = { provider: 'local' as const, path: '/x', size: 1, checksum: 'c', contentType: 'a', metadata: {} };
const N = 5000; const t = performance.now();
for (let i = 0; i < N; i++) {
  let [s] = initialTransition(actionExecutionMachine, input);
  for (const e of [{ type: 'RESOLVED' }, { type: 'VALIDATED' }, { type: 'SENT', attempt: 1 }, { type: 'SUCCEEDED', output: { a: 'b' } }, { type: 'STORED', location }] as const) [s] = transition(actionExecutionMachine, s, e as never);
}
console.log('µs per action (init + 5 transitions)', ((performance.now() - t) * 1000 / N).toFixed(0));
