/**
 * Draws the action execution machine without any network: Mermaid `stateDiagram-v2` text, or the
 * machine's own JSON definition. Generated from the machine object itself, so the diagram in the
 * docs cannot drift from the code.
 */
import type { AnyStateMachine, StateNode, TransitionDefinition, EventObject, MachineContext } from 'xstate';

type AnyNode = StateNode<MachineContext, EventObject>;

/** `RETRY: retryable and safe to repeat`: the event's name, then the transition's description. */
function transitionLabel(eventType: string, transition: TransitionDefinition<MachineContext, EventObject>): string {
  return transition.description ? `${eventType}: ${transition.description}` : eventType;
}

export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as AnyNode;
  const lines = ['stateDiagram-v2'];
  const initial = root.initial.target[0]?.key;
  if (initial) lines.push(`  [*] --> ${initial}`);
  for (const [name, node] of Object.entries(root.states)) {
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          lines.push(`  ${name} --> ${target.key}: ${transitionLabel(eventType, transition)}`);
        }
      }
    }
    if (node.type === 'final') lines.push(`  ${name} --> [*]`);
  }
  for (const [eventType, transitions] of root.transitions) {
    for (const transition of transitions) {
      for (const target of transition.target ?? []) {
        lines.push(`  note right of ${target.key}: ${eventType} from any non-final state`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export function toJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(machine.toJSON(), null, 2)}\n`;
}
