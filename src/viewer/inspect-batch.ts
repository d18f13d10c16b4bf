/**
 * The offline inspector's wire format (docs/viewer.md "Offline inspector"): `execute --inspect` turns
 * the driver's XState inspection events into these plain records and POSTs them in batches to the
 * viewer's `/api/inspect`, which validates them with the schema below. Plain JSON on purpose: an XState
 * actor reference holds the whole machine and cannot be serialized as it is.
 */
import type { InspectionEvent } from 'xstate';
import { z } from 'zod';

/** A record's serialized size at most; a bigger snapshot context is dropped (the journal has it). */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Records per POST at most. */
export const MAX_BATCH_RECORDS = 500;

const Name = z.string().min(1).max(200);

export const InspectRecordSchema = z.object({
  type: z.enum(['@xstate.actor', '@xstate.snapshot', '@xstate.event', '@xstate.action']),
  /** `executionId/actionId`, as the driver names its actor. */
  sessionId: Name,
  executionId: Name.optional(),
  actionId: Name.optional(),
  /** The sender's clock (epoch ms). */
  at: z.number().int().nonnegative(),
  /** The state after a snapshot (`backingOff`). */
  state: z.string().max(200).optional(),
  status: z.string().max(20).optional(),
  /** The event (`@xstate.event`, `@xstate.snapshot`): its type and payload. */
  event: z.looseObject({ type: z.string().max(200) }).optional(),
  /** The effect the driver starts (`@xstate.action`): `request`, `wait`, … with its parameters. */
  action: z.looseObject({ type: z.string().max(200) }).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

export type InspectRecord = z.infer<typeof InspectRecordSchema>;

export const InspectBatchSchema = z.object({
  source: z.object({ pid: z.number().int(), command: z.string().max(200) }).optional(),
  events: z.array(InspectRecordSchema).max(MAX_BATCH_RECORDS),
});

export type InspectBatch = z.infer<typeof InspectBatchSchema>;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** A plain copy of an event object: JSON round trip, so functions and cycles cannot get through. */
function plainEvent(value: unknown): { type: string } | undefined {
  const o = obj(value);
  if (!o || typeof o.type !== 'string') return undefined;
  try {
    return JSON.parse(JSON.stringify(o)) as { type: string };
  } catch {
    return { type: o.type };
  }
}

/**
 * Converts one inspection event of the driver to a record, or undefined for events the viewer does not
 * draw. `redact` is applied to everything that carries data (context, event and action payloads).
 */
export function toInspectRecord(event: InspectionEvent, now: number, redact: <T>(value: T) => T = (v) => v): InspectRecord | undefined {
  const actor = event.actorRef as unknown as { sessionId?: unknown; getSnapshot?: () => unknown };
  const sessionId = typeof actor.sessionId === 'string' ? actor.sessionId : undefined;
  if (!sessionId) return undefined;
  const snapshot = obj(event.type === '@xstate.snapshot' ? event.snapshot : actor.getSnapshot?.());
  const context = obj(snapshot?.context);
  const record: InspectRecord = { type: '@xstate.actor', sessionId, at: now };
  if (typeof context?.executionId === 'string') record.executionId = context.executionId;
  if (typeof context?.actionId === 'string') record.actionId = context.actionId;
  if (snapshot && (typeof snapshot.value === 'string' || typeof snapshot.value === 'number')) record.state = String(snapshot.value);
  if (typeof snapshot?.status === 'string') record.status = snapshot.status;
  switch (event.type) {
    case '@xstate.actor':
      break;
    case '@xstate.snapshot':
    case '@xstate.event': {
      record.type = event.type;
      const e = plainEvent(event.event);
      if (e) record.event = redact(e);
      break;
    }
    case '@xstate.action': {
      record.type = '@xstate.action';
      const a = plainEvent(event.action);
      if (a) record.action = redact(a);
      break;
    }
    default:
      return undefined;
  }
  if (context && (record.type === '@xstate.snapshot' || record.type === '@xstate.actor')) {
    const plain = plainEvent({ type: 'context', ...context });
    if (plain) {
      const { type: _type, ...rest } = plain as Json;
      record.context = redact(rest);
    }
  }
  if (JSON.stringify(record).length > MAX_RECORD_BYTES) delete record.context;
  return record;
}
