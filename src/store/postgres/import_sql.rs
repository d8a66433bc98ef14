//! The SQL of migration 2: importing a tower's exact lines (`migrate` into
//! PostgreSQL). The one path that keeps each event's original operator, so
//! it is the administrator's alone (EXECUTE is not granted to anyone), it
//! checks the hash chain and the order, and records who imported what and
//! when in `tower.imports`.

use super::schema_sql::{APPEND_LOCK, CHANNEL, REFUSED};

const IMPORT: &str = r#"
CREATE FUNCTION tower.import_events(p_source text, p_lines text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = tower, pg_temp AS $fn$
DECLARE
    l text;
    jt json;
    v_prev text;
    want text;
    last_pos bigint;
    last_line text;
    first_pos bigint;
    n bigint := 0;
BEGIN
    IF NOT pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'tower'), 'USAGE') THEN
        RAISE EXCEPTION USING ERRCODE = '{REFUSED}', MESSAGE = format('login %L may not import: the administrator only', session_user);
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK});
    SELECT e.position, e.line INTO last_pos, last_line FROM tower.events e ORDER BY e.position DESC LIMIT 1;
    last_pos := coalesce(last_pos, 0);
    FOREACH l IN ARRAY p_lines LOOP
        jt := l::json;
        v_prev := jt->>'prev_hash';
        want := CASE WHEN last_line IS NULL THEN repeat('0', 64)
                     ELSE encode(sha256(convert_to(last_line, 'UTF8')), 'hex') END;
        IF v_prev IS NOT NULL AND v_prev <> want THEN
            RAISE EXCEPTION USING ERRCODE = '{REFUSED}',
                MESSAGE = format('the line of %s seq %s does not continue the hash chain (position %s)', jt->>'shipment_id', jt->>'event_seq', last_pos + 1);
        END IF;
        last_pos := last_pos + 1;
        first_pos := coalesce(first_pos, last_pos);
        INSERT INTO tower.events (position, shipment_id, event_seq, event_type, ts, actor, operator, payload, line, prev_hash)
            VALUES (last_pos, jt->>'shipment_id', (jt->>'event_seq')::int, jt->>'event_type',
                    jt->>'timestamp', jt->>'actor', jt->>'operator', (l::jsonb)->'payload', l, v_prev);
        last_line := l;
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        PERFORM tower.keep_ids_above((SELECT max(substr(shipment_id, 5)::bigint) FROM tower.events));
        INSERT INTO tower.imports (source, first_position, last_position, events)
            VALUES (p_source, first_pos, last_pos, n);
        PERFORM pg_notify('{CHANNEL}', last_pos::text);
    END IF;
    RETURN n;
END $fn$;

CREATE FUNCTION tower.import_counters(p_source text, p_lines text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = tower, pg_temp AS $fn$
DECLARE
    l text;
    jt json;
    n bigint := 0;
BEGIN
    IF NOT pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'tower'), 'USAGE') THEN
        RAISE EXCEPTION USING ERRCODE = '{REFUSED}', MESSAGE = format('login %L may not import: the administrator only', session_user);
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK});
    FOREACH l IN ARRAY p_lines LOOP
        jt := l::json;
        INSERT INTO tower.shipment_counter (seq, counter, position, ts, line)
            SELECT coalesce(max(c.seq), 0) + 1, (jt->>'counter')::bigint, NULL, jt->>'timestamp', l
            FROM tower.shipment_counter c;
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        PERFORM tower.keep_ids_above((SELECT max(counter) FROM tower.shipment_counter));
        INSERT INTO tower.imports (source, counters) VALUES (p_source, n);
    END IF;
    RETURN n;
END $fn$;

-- The ID sequence never hands out an ID at or below `highest` again (and
-- never goes back).
CREATE FUNCTION tower.keep_ids_above(highest bigint) RETURNS void
LANGUAGE plpgsql SET search_path = tower, pg_temp AS $fn$
DECLARE
    s record;
BEGIN
    SELECT last_value, is_called INTO s FROM tower.shipment_ids;
    IF highest IS NOT NULL AND (NOT s.is_called OR highest > s.last_value) THEN
        PERFORM setval('tower.shipment_ids', greatest(highest, CASE WHEN s.is_called THEN s.last_value ELSE 0 END), true);
    END IF;
END $fn$;

REVOKE ALL ON FUNCTION tower.import_events(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION tower.import_counters(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION tower.keep_ids_above(bigint) FROM PUBLIC;
"#;

/// Migration 2's SQL, with the lock key, channel and SQLSTATE.
pub fn import_functions() -> String {
    IMPORT
        .replace("{LOCK}", &APPEND_LOCK.to_string())
        .replace("{CHANNEL}", CHANNEL)
        .replace("{REFUSED}", REFUSED)
}
