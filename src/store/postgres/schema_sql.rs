//! The SQL of migration 1: the tables, the append function (the database's
//! own, last check of every append), the ID function, the append-only
//! triggers and the grants. `schema` runs it and fills the rule tables.

/// The appenders' transaction-scoped advisory lock: held from before an
/// append reads the log's end until its COMMIT, so positions are handed
/// out, and become visible, in commit order (no gaps seen by readers).
pub const APPEND_LOCK: i64 = 0x4354_5f41_5050; // "CT_APP"

/// The channel every append notifies, with its position as the payload.
pub const CHANNEL: &str = "ct_events";

/// The SQLSTATE of the append function's refusals.
pub const REFUSED: &str = "CT000";

const TABLES: &str = r#"
CREATE SCHEMA tower;

CREATE TABLE tower.ct_schema_version (
    version    int PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT session_user
);

CREATE TABLE tower.events (
    position    bigint PRIMARY KEY CHECK (position >= 1),
    shipment_id text NOT NULL,
    event_seq   int NOT NULL CHECK (event_seq >= 1),
    event_type  text NOT NULL,
    ts          text NOT NULL,
    actor       text NOT NULL,
    operator    text,
    payload     jsonb NOT NULL,
    line        text NOT NULL,
    prev_hash   text,
    UNIQUE (shipment_id, event_seq)
);

CREATE SEQUENCE tower.shipment_ids AS bigint MINVALUE 1 MAXVALUE 9999999999 START 1 NO CYCLE;

CREATE TABLE tower.shipment_counter (
    seq      bigint PRIMARY KEY CHECK (seq >= 1),
    counter  bigint NOT NULL UNIQUE CHECK (counter >= 1),
    position bigint UNIQUE REFERENCES tower.events (position),
    ts       text NOT NULL,
    line     text NOT NULL
);

CREATE TABLE tower.transitions (
    from_state text,
    to_state   text NOT NULL
);
CREATE UNIQUE INDEX transitions_once ON tower.transitions (coalesce(from_state, ''), to_state);

CREATE TABLE tower.permissions (
    event_type text NOT NULL,
    actor      text NOT NULL,
    PRIMARY KEY (event_type, actor)
);

CREATE TABLE tower.tower_roles (
    login text NOT NULL,
    role  text NOT NULL CHECK (role IN ({ACTORS})),
    PRIMARY KEY (login, role)
);

CREATE TABLE tower.imports (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imported_by    text NOT NULL DEFAULT session_user,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    source         text NOT NULL,
    first_position bigint,
    last_position  bigint,
    events         bigint NOT NULL DEFAULT 0,
    counters       bigint NOT NULL DEFAULT 0
);
"#;

/// The tables, the role CHECK naming `actors` (from `Actor::ALL`).
pub fn tables(actors: &str) -> String {
    TABLES.replace("{ACTORS}", actors)
}

const FUNCTIONS: &str = r#"
CREATE FUNCTION tower.refuse(message text) RETURNS void
LANGUAGE plpgsql SET search_path = tower, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{REFUSED}', MESSAGE = message;
END $fn$;

CREATE FUNCTION tower.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = tower, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{REFUSED}',
        MESSAGE = format('%s on tower.%s refused: the table is append-only', TG_OP, TG_TABLE_NAME);
END $fn$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON tower.events
    FOR EACH STATEMENT EXECUTE FUNCTION tower.refuse_change();
CREATE TRIGGER counter_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON tower.shipment_counter
    FOR EACH STATEMENT EXECUTE FUNCTION tower.refuse_change();

CREATE FUNCTION tower.next_shipment_id() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = tower, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tower.tower_roles WHERE login = session_user AND role = 'SENDER') THEN
        PERFORM tower.refuse(format('login %L does not hold the role SENDER: it may not create shipments', session_user));
    END IF;
    RETURN nextval('tower.shipment_ids');
END $fn$;

CREATE FUNCTION tower.append_event(p_expected bigint, p_line text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = tower, pg_temp AS $fn$
DECLARE
    jt json;
    j jsonb;
    v_id text;
    v_seq bigint;
    v_type text;
    v_ts text;
    v_actor text;
    v_prev text;
    h_seq bigint;
    h_type text;
    last_pos bigint;
    last_line text;
    want_prev text;
    v_pos bigint;
    v_current bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM tower.refuse('appends run at READ COMMITTED isolation only');
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK});
    jt := p_line::json;
    j := p_line::jsonb;
    IF json_typeof(jt) IS DISTINCT FROM 'object'
       OR (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(j) AS k)
          IS DISTINCT FROM ARRAY['actor', 'event_seq', 'event_type', 'operator', 'payload',
                                 'prev_hash', 'shipment_id', 'timestamp']
       OR (SELECT count(*) FROM json_object_keys(jt)) <> 8
       OR left(p_line, 15) <> '{"shipment_id":' THEN
        PERFORM tower.refuse('the line must be one JSON object with exactly the keys shipment_id, event_seq, event_type, timestamp, actor, payload, operator, prev_hash, in that order');
    END IF;
    IF json_typeof(jt->'shipment_id') <> 'string' OR json_typeof(jt->'event_seq') <> 'number'
       OR json_typeof(jt->'event_type') <> 'string' OR json_typeof(jt->'timestamp') <> 'string'
       OR json_typeof(jt->'actor') <> 'string' OR json_typeof(jt->'payload') <> 'object'
       OR json_typeof(jt->'operator') <> 'string' OR json_typeof(jt->'prev_hash') <> 'string' THEN
        PERFORM tower.refuse('a field of the line has the wrong JSON type');
    END IF;
    v_id := jt->>'shipment_id';
    v_type := jt->>'event_type';
    v_ts := jt->>'timestamp';
    v_actor := jt->>'actor';
    v_prev := jt->>'prev_hash';
    IF v_id !~ '^SHP-[0-9]{10}$' THEN
        PERFORM tower.refuse(format('bad shipment ID %L', v_id));
    END IF;
    IF (jt->>'event_seq') !~ '^[1-9][0-9]{0,9}$' OR (jt->>'event_seq')::bigint > 2147483647 THEN
        PERFORM tower.refuse(format('bad event_seq %s', jt->>'event_seq'));
    END IF;
    v_seq := (jt->>'event_seq')::bigint;
    IF v_ts !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' THEN
        PERFORM tower.refuse(format('bad timestamp %L (UTC, 3 fraction digits, Z)', v_ts));
    END IF;
    IF v_prev !~ '^[0-9a-f]{64}$' THEN
        PERFORM tower.refuse('prev_hash is not 64 lowercase hex digits');
    END IF;
    IF (jt->>'operator') IS DISTINCT FROM session_user THEN
        PERFORM tower.refuse(format('the line names operator %L, but the operator is the database login, %L', jt->>'operator', session_user));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tower.tower_roles WHERE login = session_user AND role = v_actor) THEN
        PERFORM tower.refuse(format('login %L does not hold the role %s (tower_roles)', session_user, v_actor));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tower.permissions WHERE event_type = v_type AND actor = v_actor) THEN
        PERFORM tower.refuse(format('%s may not append %s (permissions)', v_actor, v_type));
    END IF;
    SELECT e.event_seq, e.event_type INTO h_seq, h_type
        FROM tower.events e WHERE e.shipment_id = v_id ORDER BY e.event_seq DESC LIMIT 1;
    h_seq := coalesce(h_seq, 0);
    IF p_expected IS NULL OR p_expected < -1 THEN
        PERFORM tower.refuse('expected seq must be -1 (any), 0 (no shipment) or the last seq');
    END IF;
    IF p_expected >= 0 AND p_expected <> h_seq THEN
        PERFORM tower.refuse(format('conflict: %s is at seq %s, not %s', v_id, h_seq, p_expected));
    END IF;
    IF v_seq <> h_seq + 1 THEN
        PERFORM tower.refuse(format('%s is at seq %s: the next event is seq %s, not %s', v_id, h_seq, h_seq + 1, v_seq));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tower.transitions
                   WHERE from_state IS NOT DISTINCT FROM h_type AND to_state = v_type) THEN
        PERFORM tower.refuse(format('%s is %s; %s may not follow (transitions)', v_id, coalesce(h_type, 'new'), v_type));
    END IF;
    SELECT e.position, e.line INTO last_pos, last_line FROM tower.events e ORDER BY e.position DESC LIMIT 1;
    want_prev := repeat('0', 64);
    IF last_line IS NOT NULL THEN
        want_prev := encode(sha256(convert_to(last_line, 'UTF8')), 'hex');
    END IF;
    IF v_prev <> want_prev THEN
        PERFORM tower.refuse(format('prev_hash does not chain to the last event (position %s)', coalesce(last_pos, 0)));
    END IF;
    v_pos := coalesce(last_pos, 0) + 1;
    INSERT INTO tower.events (position, shipment_id, event_seq, event_type, ts, actor, operator, payload, line, prev_hash)
        VALUES (v_pos, v_id, v_seq, v_type, v_ts, v_actor, session_user, j->'payload', p_line, v_prev);
    IF h_seq = 0 THEN
        BEGIN
            v_current := currval('tower.shipment_ids');
        EXCEPTION WHEN object_not_in_prerequisite_state THEN
            v_current := NULL;
        END;
        IF v_current IS DISTINCT FROM substr(v_id, 5)::bigint THEN
            PERFORM tower.refuse(format('a new shipment takes the ID tower.next_shipment_id() last handed this session (%s), not %s', coalesce(v_current::text, 'none'), v_id));
        END IF;
        INSERT INTO tower.shipment_counter (seq, counter, position, ts, line)
            SELECT coalesce(max(c.seq), 0) + 1, v_current, v_pos, v_ts,
                   format('{"counter": %s, "timestamp": "%s", "action": "ID_GENERATED"}', v_current, v_ts)
            FROM tower.shipment_counter c;
    END IF;
    PERFORM pg_notify('{CHANNEL}', v_pos::text);
    RETURN v_pos;
END $fn$;
"#;

/// The functions and triggers, with the lock key, channel and SQLSTATE.
pub fn functions() -> String {
    FUNCTIONS
        .replace("{LOCK}", &APPEND_LOCK.to_string())
        .replace("{CHANNEL}", CHANNEL)
        .replace("{REFUSED}", REFUSED)
}

/// Whoever may connect may read (SELECT) and call the two append-side
/// functions, which check `tower_roles` themselves; nothing else. The
/// owner (the administrator) keeps the rest.
pub const GRANTS: &str = r#"
REVOKE ALL ON SCHEMA tower FROM PUBLIC;
GRANT USAGE ON SCHEMA tower TO PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA tower FROM PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA tower TO PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA tower FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tower FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tower.append_event(bigint, text), tower.next_shipment_id() TO PUBLIC;
"#;
