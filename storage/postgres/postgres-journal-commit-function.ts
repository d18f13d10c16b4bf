/**
 * The server side of the Postgres journal's group commit: `ae_journal_commit(units, owner…)` applies
 * every unit of a batch — the commits of many executions that arrived in one tick — inside the one
 * transaction of a single `SELECT` statement, so a batch costs one round trip however many units it
 * holds. It returns one result per unit, in the order given.
 *
 * Each unit is checked completely before it writes anything (the fence and existence of its
 * execution under a row lock, then the attempt rules, following the unit's own earlier writes), so a
 * refused unit writes nothing and the others still commit — without a savepoint per unit. A
 * subtransaction per unit would do the same, but more than 64 of them in one transaction overflow
 * each backend's subtransaction cache and slow every other session's snapshots.
 *
 * The fence is checked in the same transaction as the writes and under the execution's row lock
 * (`FOR NO KEY UPDATE`), so a lease taken over between the check and the write is impossible. Units
 * are applied in key order (and in submission order within one key), so two batches that lock the
 * same rows always lock them in the same order and cannot deadlock.
 *
 * The unit format (written by postgres-journal-units.ts): `{ k: [executionId, actionId],
 * f: [ownerId, epoch] | null, n: now, w: [write…] }`, JSON texts (`rq`, `sn`, …) carried as strings so
 * Postgres never re-encodes them. Results: `{ ok: true }` (plus `created`, `epoch`, `row` for a create)
 * or `{ ok: false, code, attempt?, state? }`, which the client turns into the journal's errors.
 */

export const COMMIT_FUNCTION_SQL = `
CREATE FUNCTION ae_journal_apply_unit(u jsonb, p_owner_id text, p_owner_pid integer, p_owner_host text, p_owner_lock integer)
RETURNS jsonb LANGUAGE plpgsql SET search_path FROM CURRENT AS $unit$
DECLARE
  k_e text := u->'k'->>0;
  k_a text := u->'k'->>1;
  now_ms double precision := (u->>'n')::double precision;
  writes jsonb := u->'w';
  n_writes integer := jsonb_array_length(u->'w');
  first_type text := u->'w'->0->>'t';
  cur ae_journal_executions%ROWTYPE;
  found_row boolean;
  is_create boolean := first_type = 'c';
  created boolean := false;
  eff_owner text := u->'f'->>0;
  eff_epoch integer := (u->'f'->>1)::integer;
  held_owner text;
  held_epoch integer;
  start_at integer := 0;
  last_t integer := -1;
  plan text[] := '{}';
  seen jsonb := '{}';
  w jsonb;
  idx integer;
  n integer;
  st text;
  seq integer;
  rel boolean;
  result jsonb := jsonb_build_object('ok', true);
BEGIN
  SELECT * INTO cur FROM ae_journal_executions WHERE execution_id = k_e AND action_id = k_a FOR NO KEY UPDATE;
  found_row := FOUND;
  IF is_create THEN
    IF found_row THEN
      RETURN jsonb_build_object('ok', true, 'created', false, 'row', to_jsonb(cur));
    END IF;
    start_at := 1;
  ELSIF NOT found_row THEN
    RETURN jsonb_build_object('ok', false, 'code', 'EXECUTION_NOT_FOUND');
  ELSIF jsonb_typeof(u->'f') = 'array' AND (cur.lease_owner_id IS DISTINCT FROM eff_owner OR cur.lease_epoch <> eff_epoch) THEN
    RETURN jsonb_build_object('ok', false, 'code', 'LEASE_LOST');
  END IF;

  -- Check every write before the first one is applied: a refused unit writes nothing.
  FOR idx IN start_at .. n_writes - 1 LOOP
    w := writes->idx;
    CASE w->>'t'
      WHEN 'c' THEN
        RETURN jsonb_build_object('ok', false, 'code', 'CREATE_NOT_FIRST');
      WHEN 't' THEN
        last_t := idx;
      WHEN 'b', 'f' THEN
        n := (w->>'a')::integer;
        st := seen->>(n::text);
        IF st IS NULL AND found_row THEN
          SELECT a.state INTO st FROM ae_journal_attempts a WHERE a.execution_id = k_e AND a.action_id = k_a AND a.attempt = n;
        END IF;
        IF w->>'t' = 'b' THEN
          IF st = 'in_flight' THEN
            plan[idx] := 'skip';
          ELSIF st IS NOT NULL THEN
            RETURN jsonb_build_object('ok', false, 'code', 'ATTEMPT_ALREADY_FINISHED', 'attempt', n, 'state', st);
          ELSE
            plan[idx] := 'insert';
            seen := seen || jsonb_build_object(n::text, 'in_flight');
          END IF;
        ELSE
          IF st = 'in_flight' THEN
            plan[idx] := 'update';
            seen := seen || jsonb_build_object(n::text, w->>'st');
          ELSIF st IS NULL THEN
            RETURN jsonb_build_object('ok', false, 'code', 'ATTEMPT_NOT_STARTED', 'attempt', n);
          ELSE
            plan[idx] := 'skip';
          END IF;
        END IF;
      ELSE
        RETURN jsonb_build_object('ok', false, 'code', 'UNKNOWN_WRITE', 'type', w->>'t');
    END CASE;
  END LOOP;

  IF is_create THEN
    w := writes->0;
    IF jsonb_typeof(w->'l') = 'number' THEN
      -- Leased to this journal's owner in the same statement that creates it (epoch 1).
      INSERT INTO ae_journal_executions (execution_id, action_id, definition_id, request_hash, request_json, definition_json,
        machine_version, status, state_value, snapshot_json, created_at, updated_at,
        lease_owner_id, lease_owner_pid, lease_owner_host, lease_owner_lock, lease_expires_at, lease_epoch)
      VALUES (k_e, k_a, w->>'d', w->>'h', w->>'rq', w->>'df', w->>'mv', 'pending', w->>'sv', w->>'sn', now_ms, now_ms,
        p_owner_id, p_owner_pid, p_owner_host, p_owner_lock, now_ms + (w->>'l')::double precision, 1)
      ON CONFLICT (execution_id, action_id) DO NOTHING;
      created := FOUND;
      eff_owner := p_owner_id;
      eff_epoch := 1;
    ELSE
      INSERT INTO ae_journal_executions (execution_id, action_id, definition_id, request_hash, request_json, definition_json,
        machine_version, status, state_value, snapshot_json, created_at, updated_at)
      VALUES (k_e, k_a, w->>'d', w->>'h', w->>'rq', w->>'df', w->>'mv', 'pending', w->>'sv', w->>'sn', now_ms, now_ms)
      ON CONFLICT (execution_id, action_id) DO NOTHING;
      created := FOUND;
    END IF;
    IF NOT created THEN
      -- Created by another transaction since the look-up above: as if it had been there.
      SELECT * INTO cur FROM ae_journal_executions WHERE execution_id = k_e AND action_id = k_a;
      RETURN jsonb_build_object('ok', true, 'created', false, 'row', to_jsonb(cur));
    END IF;
    IF jsonb_typeof(w->'l') = 'number' THEN
      result := result || jsonb_build_object('epoch', 1);
    END IF;
    seq := 0;
    held_owner := CASE WHEN jsonb_typeof(w->'l') = 'number' THEN p_owner_id END;
    held_epoch := CASE WHEN jsonb_typeof(w->'l') = 'number' THEN 1 ELSE 0 END;
  ELSE
    seq := cur.last_seq;
    held_owner := cur.lease_owner_id;
    held_epoch := cur.lease_epoch;
  END IF;

  FOR idx IN start_at .. n_writes - 1 LOOP
    w := writes->idx;
    CASE w->>'t'
      WHEN 't' THEN
        seq := seq + 1;
        INSERT INTO ae_journal_transitions (execution_id, action_id, seq, from_state, to_state, event, event_json, snapshot_json, at)
        VALUES (k_e, k_a, seq, w->>'fr', w->>'to', w->>'ev', w->>'ej', w->>'sn', COALESCE((w->>'at')::double precision, now_ms));
        IF w->>'ot' IS NOT NULL THEN
          INSERT INTO ae_journal_outbox (execution_id, action_id, type, payload_json, created_at) VALUES (k_e, k_a, w->>'ot', w->>'op', now_ms);
        END IF;
        -- releaseLease gives up the fence's lease, and only while the fence still holds it.
        rel := (w->>'rl')::boolean AND eff_owner IS NOT NULL AND held_owner IS NOT DISTINCT FROM eff_owner AND held_epoch = eff_epoch;
        IF idx = last_t THEN
          UPDATE ae_journal_executions SET
            status = w->>'st', state_value = w->>'sv', snapshot_json = w->>'sn',
            attempt_count = (w->>'ac')::integer, wake_at = (w->>'wk')::double precision,
            result_json = CASE WHEN (w->>'sr')::boolean THEN w->>'rj' ELSE result_json END,
            updated_at = now_ms, last_seq = seq,
            lease_owner_id = CASE WHEN rel THEN NULL ELSE lease_owner_id END,
            lease_owner_pid = CASE WHEN rel THEN NULL ELSE lease_owner_pid END,
            lease_owner_host = CASE WHEN rel THEN NULL ELSE lease_owner_host END,
            lease_owner_lock = CASE WHEN rel THEN NULL ELSE lease_owner_lock END,
            lease_expires_at = CASE WHEN rel THEN NULL ELSE lease_expires_at END
          WHERE execution_id = k_e AND action_id = k_a;
        ELSIF rel THEN
          UPDATE ae_journal_executions SET lease_owner_id = NULL, lease_owner_pid = NULL, lease_owner_host = NULL,
            lease_owner_lock = NULL, lease_expires_at = NULL
          WHERE execution_id = k_e AND action_id = k_a;
        END IF;
        IF rel THEN
          held_owner := NULL;
        END IF;
      WHEN 'b' THEN
        IF plan[idx] = 'insert' THEN
          INSERT INTO ae_journal_attempts (execution_id, action_id, attempt, idempotency_key, state, request_json, started_at)
          VALUES (k_e, k_a, (w->>'a')::integer, w->>'ik', 'in_flight', w->>'rq', now_ms);
        END IF;
      WHEN 'f' THEN
        IF plan[idx] = 'update' THEN
          UPDATE ae_journal_attempts SET state = w->>'st', outcome_json = w->>'oj', finished_at = now_ms
          WHERE execution_id = k_e AND action_id = k_a AND attempt = (w->>'a')::integer AND state = 'in_flight';
        END IF;
      ELSE
        NULL;
    END CASE;
  END LOOP;

  IF is_create THEN
    SELECT * INTO cur FROM ae_journal_executions WHERE execution_id = k_e AND action_id = k_a;
    result := result || jsonb_build_object('created', true, 'row', to_jsonb(cur));
  END IF;
  RETURN result;
END
$unit$;

CREATE FUNCTION ae_journal_commit(p_units jsonb, p_owner_id text, p_owner_pid integer, p_owner_host text, p_owner_lock integer)
RETURNS jsonb LANGUAGE plpgsql SET search_path FROM CURRENT AS $commit$
DECLARE
  results jsonb[] := array_fill(NULL::jsonb, ARRAY[jsonb_array_length(p_units)]);
  u jsonb;
  i integer;
BEGIN
  FOR u, i IN
    SELECT value, ordinality::integer FROM jsonb_array_elements(p_units) WITH ORDINALITY
    ORDER BY (value->'k'->>0) COLLATE "C", (value->'k'->>1) COLLATE "C", ordinality
  LOOP
    results[i] := ae_journal_apply_unit(u, p_owner_id, p_owner_pid, p_owner_host, p_owner_lock);
  END LOOP;
  RETURN to_jsonb(results);
END
$commit$;
`;
