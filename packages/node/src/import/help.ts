/** The `tailor import` part of `tailor help` (its own module, so the help does not load the importer). */
export const IMPORT_HELP = `  tailor import --input orders.csv|orders.ndjson --mapping mapping.json --data-dir DIR --source ID [--resume]
                [--format csv|ndjson] [--delimiter ";"] [--rejects FILE] [--batch-size 500]
      Imports historical orders, POS transactions or loyalty records into the collector's store, streaming
      (files larger than memory). mapping.json says which column is the event name or a constant, the
      timestamp (column, format such as "YYYY-MM-DD HH:mm:ss" or iso/epoch_ms/epoch_s, utcOffset), the
      identifiers (userId anonymousId email phone loyaltyId posCustomerId), properties, and products[] per
      row with "groupBy": "order_id" for multi-line orders (rows of an order must be consecutive). Rows are
      validated against the retail catalog; rejected rows go to a CSV report (line,rows,reason). MessageIds
      are hashed from source, file name and row key, so a re-run stores nothing twice; after an interruption
      --resume continues at the last checkpoint (kept under DIR/imports/). Stop the collector first, or run
      it with --workers 2 or more (a multi-process store), so both can write the same data directory.
`;
