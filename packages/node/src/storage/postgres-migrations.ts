/**
 * The shared store's schema, as numbered migrations. They are embedded (not `.sql` files) so the bundled
 * collector carries them. A migration is never edited once released: a change is a new, higher version.
 *
 * Every table lives in one schema (`search_path` of the store's connections), so tests and tenants can
 * keep separate stores in one database. Text columns that hold client-supplied ids hold them escaped by
 * `keyPart` (PostgreSQL text cannot carry NUL; btree entries cannot exceed ~2.7 KB); values that must come
 * back verbatim are `json` (unlike `jsonb`, `json` keeps `\u0000` escapes and skips re-encoding on insert).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'event log, dedup index and sink cursors',
    sql: `
      CREATE TABLE log_head (id int PRIMARY KEY CHECK (id = 1), last_seq bigint NOT NULL);
      INSERT INTO log_head VALUES (1, 0);
      CREATE TABLE events (
        seq bigint PRIMARY KEY,
        source_id text NOT NULL,
        received_at bigint NOT NULL,
        event json NOT NULL
      );
      CREATE INDEX events_source_seq ON events (source_id, seq);
      CREATE TABLE dedup (
        source_key text NOT NULL,
        message_key text NOT NULL,
        received_at bigint NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (source_key, message_key)
      );
      CREATE INDEX dedup_received_at ON dedup (received_at);
      CREATE TABLE cursors (name text PRIMARY KEY, seq bigint NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'profiles, identity journal and indexes',
    sql: `
      CREATE TABLE profile_meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE profiles (source_key text NOT NULL, id_key text NOT NULL, profile json NOT NULL, PRIMARY KEY (source_key, id_key));
      -- kind 'k': identifier key -> profile id; kind 'r': retired (merged-away) profile id -> survivor id
      CREATE TABLE profile_keys (
        source_key text NOT NULL, kind "char" NOT NULL, key text NOT NULL,
        profile_id text NOT NULL, profile_key text NOT NULL, -- the id as given, and escaped as in profiles.id_key
        PRIMARY KEY (source_key, kind, key)
      );
      CREATE TABLE identity_journal (source_key text NOT NULL, seq bigint NOT NULL, source_id text NOT NULL, event json NOT NULL, PRIMARY KEY (source_key, seq));
      CREATE TABLE identity_events (source_key text NOT NULL, key text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (source_key, key, seq));
      CREATE TABLE identity_tombstones (source_key text NOT NULL, key text NOT NULL, tombstone json NOT NULL, PRIMARY KEY (source_key, key));
    `,
  },
  {
    version: 3,
    name: 'append in one statement (the log-head lock is held for one round trip, not five)',
    sql: `
      -- Assigns seqs under the log_head row lock, skips (source, message) pairs seen within the window (also
      -- earlier in the same call), stores the rest; returns one seq per input event, NULL for a duplicate.
      CREATE FUNCTION append_events(
        p_source_keys text[], p_message_keys text[], p_source_ids text[], p_received_at bigint[], p_events json[],
        p_window_ms bigint, p_now bigint
      ) RETURNS bigint[] LANGUAGE plpgsql AS $$
      DECLARE
        head bigint;
        seqs bigint[] := '{}';
        previous bigint;
      BEGIN
        SELECT last_seq INTO head FROM log_head WHERE id = 1 FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_events, 1), 0) LOOP
          SELECT received_at INTO previous FROM dedup WHERE source_key = p_source_keys[i] AND message_key = p_message_keys[i];
          IF FOUND AND p_now - previous < p_window_ms THEN
            seqs := seqs || NULL::bigint;
            CONTINUE;
          END IF;
          head := head + 1;
          INSERT INTO events (seq, source_id, received_at, event) VALUES (head, p_source_ids[i], p_received_at[i], p_events[i]);
          INSERT INTO dedup (source_key, message_key, received_at, seq) VALUES (p_source_keys[i], p_message_keys[i], p_received_at[i], head)
            ON CONFLICT (source_key, message_key) DO UPDATE SET received_at = EXCLUDED.received_at, seq = EXCLUDED.seq;
          seqs := seqs || head;
        END LOOP;
        UPDATE log_head SET last_seq = head WHERE id = 1;
        RETURN seqs;
      END
      $$;
    `,
  },
];

/** The table, in the store's schema, recording which migrations were applied (version, name, applied_at). */
export const MIGRATIONS_TABLE = 'schema_migrations';
