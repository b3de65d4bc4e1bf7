/**
 * Most updates (replaceOne/updateOne, upsert or not) one bulk write may carry on FerretDB 1.24's
 * SQLite backend. Its update command keeps the query of each update whose document exists open
 * until the whole command ends (a `defer` inside its loop, internal/handler/msg_update.go), and a
 * database has 100 SQLite connections: the 101st update of existing documents in one command —
 * or fewer, across concurrent commands on the same database — waits forever for a connection, and
 * from then on every write to that FerretDB hangs. A rebuild that persisted 151 views in one write
 * did exactly that. Real MongoDB has no such limit; this bound costs it nothing.
 */
export const FERRETDB_SAFE_WRITE_BATCH = 40;
