/**
 * Where the offline inspector's records live in the viewer: per session (one execution's actor), the
 * newest records in a bounded ring, and listeners (the inspector page's event stream) told of each new
 * batch. Memory is bounded whatever the senders do: a few hundred sessions of a few hundred records.
 */
import type { InspectBatch, InspectRecord } from './inspect-batch.ts';

export const INSPECT_LIMITS = { sessions: 200, recordsPerSession: 500 } as const;

export interface InspectSessionSummary {
  sessionId: string;
  executionId?: string;
  actionId?: string;
  /** The sending process (`execute` pid 1234). */
  source?: string;
  /** The state of the newest snapshot. */
  state?: string;
  status?: string;
  records: number;
  firstAt: number;
  lastAt: number;
}

export interface InspectSession extends InspectSessionSummary {
  /** The newest records, oldest first. */
  recent: InspectRecord[];
}

export type InspectListener = (session: InspectSessionSummary, added: InspectRecord[]) => void;

export interface InspectHub {
  /** Adds a validated batch; `now` is the viewer's clock. Returns how many records were kept. */
  add(batch: InspectBatch, now: number): number;
  sessions(): InspectSessionSummary[];
  session(sessionId: string): InspectSession | undefined;
  subscribe(listener: InspectListener): () => void;
}

export function createInspectHub(limits: { sessions: number; recordsPerSession: number } = INSPECT_LIMITS): InspectHub {
  const sessions = new Map<string, InspectSession>();
  const listeners = new Set<InspectListener>();
  const summaryOf = ({ recent: _recent, ...summary }: InspectSession): InspectSessionSummary => summary;

  return {
    add(batch, now) {
      const grouped = new Map<string, InspectRecord[]>();
      for (const record of batch.events) grouped.set(record.sessionId, [...(grouped.get(record.sessionId) ?? []), record]);
      for (const [sessionId, records] of grouped) {
        let session = sessions.get(sessionId);
        if (!session) {
          if (sessions.size >= limits.sessions) {
            // Evict the session updated longest ago: a viewer left open for days stays small.
            const oldest = [...sessions.values()].reduce((a, b) => (a.lastAt <= b.lastAt ? a : b));
            sessions.delete(oldest.sessionId);
          }
          session = { sessionId, records: 0, firstAt: now, lastAt: now, recent: [] };
          if (batch.source) session.source = `${batch.source.command} (pid ${batch.source.pid})`;
          sessions.set(sessionId, session);
        }
        for (const record of records) {
          if (record.executionId) session.executionId = record.executionId;
          if (record.actionId) session.actionId = record.actionId;
          if (record.state !== undefined && record.type === '@xstate.snapshot') session.state = record.state;
          if (record.status !== undefined) session.status = record.status;
        }
        session.records += records.length;
        session.lastAt = now;
        session.recent.push(...records);
        if (session.recent.length > limits.recordsPerSession) session.recent.splice(0, session.recent.length - limits.recordsPerSession);
        const summary = summaryOf(session);
        for (const listener of listeners) listener(summary, records);
      }
      return batch.events.length;
    },
    sessions: () => [...sessions.values()].map(summaryOf).sort((a, b) => b.lastAt - a.lastAt),
    session: (id) => {
      const s = sessions.get(id);
      return s ? { ...s, recent: [...s.recent] } : undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
