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
];

/** The table, in the store's schema, recording which migrations were applied (version, name, applied_at). */
export const MIGRATIONS_TABLE = 'schema_migrations';
