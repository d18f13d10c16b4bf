import { initialTransition, transition } from 'xstate';
import { actionExecutionMachine } from '../machines/action-execution.ts';
import { pureInitialTransition, pureTransition } from '../src/execution/pure-transition.ts';
const input = { executionId: 'e', actionId: 'a' };
const location = { provider: 'local' as const, path: '/x', size: 1, checksum: 'c', contentType: 'a', metadata: {} };
const evs = [{ type: 'RESOLVED' }, { type: 'VALIDATED' }, { type: 'SENT', attempt: 1 }, { type: 'SUCCEEDED', output: { a: 'b' } }, { type: 'STORED', location }] as const;
for (const [name, fn] of [['xstate transition', (s: never, e: never) => transition(actionExecutionMachine, s, e)], ['pureTransition', (s: never, e: never) => pureTransition(s, e)]] as const) {
  const N = 5000; const t = performance.now(); let last;
  for (let i = 0; i < N; i++) { let [s] = name === 'pureTransition' ? pureInitialTransition(input) : initialTransition(actionExecutionMachine, input); for (const e of evs) [s] = fn(s as never, e as never) as never; last = s; }
  console.log(name, 'µs per action', ((performance.now() - t) * 1000 / N).toFixed(0), (last as { value: string }).value);
}
const [a, acts] = pureTransition(pureInitialTransition(input)[0], { type: 'RESOLVED' });
const [b, acts2] = transition(actionExecutionMachine, initialTransition(actionExecutionMachine, input)[0], { type: 'RESOLVED' });
console.log(JSON.stringify(a) === JSON.stringify(b), acts.map((x) => x.type), acts2.map((x) => x.type));
const [i1, ia] = pureInitialTransition(input); const [i2, ib] = initialTransition(actionExecutionMachine, input);
console.log('initial equal', JSON.stringify(i1) === JSON.stringify(i2), ia.map((x) => x.type), ib.map((x) => x.type));
