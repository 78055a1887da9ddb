import { DEFAULT_DETERMINISTIC } from './mapping';

/** The `tailor resolve` part of `tailor help` (its own module, so the help does not load the matcher). */
export const RESOLVE_HELP = `  tailor resolve --input customers.csv --map first_name=given_name,last_name=surname,email=email,phone=phone
                 --out clusters.csv [--id-column id] [--format csv|ndjson] [--threshold 0.95] [--explain N]
                 [--deterministic ${DEFAULT_DETERMINISTIC.join(',')}] [--country-code 44]
      Resolves a CRM/POS/loyalty export (CSV with a header row, or NDJSON) into profiles and writes
      record_id,profile_id (CSV; NDJSON when --out ends in .ndjson or .jsonl). --map pairs Tailor fields
      (firstName lastName email phone address postcode dob loyaltyId deviceId userId posCustomerId, or
      snake_case) with input columns. Records sharing a --deterministic identifier (any of email phone
      loyaltyId posCustomerId userId deviceId, or none) join through the identity graph's guards; others
      link when the EM-trained matcher gives p ≥ --threshold (weaker links, down to p 0.3, only when its
      guarded clustering finds nothing that contradicts them). --country-code lets national phone numbers
      join. --explain N prints the N weakest probabilistic merges to stdout. A profile id is "p-" and 16
      hex digits of the SHA-256 of the profile's smallest record id.
`;
