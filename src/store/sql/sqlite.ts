import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BACKSTOP_PAGES, CHECKPOINT_THREAD_AFTER_WRITES, type Checkpointer, startCheckpointer } from './checkpointer.js';
import { type Db, type Param, type Row, isRead } from './db.js';
import { groupCommit, isBusy, unavailable } from './group-commit.js';
import { walFlush } from './wal-flush.js';

/** How long one statement may block the thread waiting for another connection's lock. */
const BUSY_TIMEOUT_MS = 20;

/** The WAL is cut back to this when it restarts: a long read elsewhere can grow it to hundreds of MB. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * A file this process may only read (its mode, its owner, a read-only mount) opens without
 * complaint and fails at its first write, then at every one (503, group-commit.ts): a server
 * would start, report ready and refuse every sign-in. Writing the header's user version (unused,
 * rewritten unchanged) finds out at once.
 */
function mustBeWritable(sqlite: Database.Database, file: string) {
  try {
    sqlite.pragma(`user_version = ${Number(sqlite.pragma('user_version', { simple: true }))}`);
  } catch (error) {
    // Another process holds the write lock (a migration, a `sqlite3` shell): then it cannot tell,
    // and a command that only reads must not wait for that process or fail on it.
    if (isBusy(error)) return;
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_READONLY')) throw error;
    sqlite.close();
    throw new Error(`the database ${file} cannot be written by this process (${code}): check the permissions of the file, its -wal and -shm files and its folder`, { cause: error });
  }
}

/**
 * One WAL database, written by one connection. It runs every write and every transaction; a
 * transaction body awaits, so a lock makes writes issued outside it wait until it ends. Plain
 * SELECTs outside a transaction are batched per event-loop turn (below) and answered by the same
 * connection between its transactions, or by a read-only one while it is inside one. Statements
 * are prepared once per connection and cached.
 */
export function openSqlite(file: string): Db {
  const created = file !== ':memory:' && !existsSync(file);
  // Private: the file holds password hashes and emails. SQLite gives its -wal and -shm files the
  // database's mode, so it is set before the journal mode creates them. Existing files are left as they are.
  if (created) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file);
  if (created) chmodSync(file, 0o600);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  // Durable across a process crash; a power loss can take the last few tens of ms (wal-flush.ts).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // SQLite copies every page a SAVEPOINT (group-commit.ts, after a failure) or a statement that
  // may fail halfway first touches into a sub-journal. On disk (the default) that
  // file outgrows its in-memory start and is never truncated again, costing two pwrite calls per
  // page: 16 of the 29 pwrites of a refresh rotation when every transaction had a savepoint. In
  // memory it is a memcpy. The journal grows with the pages one statement changes, so statements
  // that could change very many rows are bounded: the cleanup deletes in batches, revocation
  // skips rows already revoked.
  sqlite.pragma('temp_store = MEMORY');
  // Short: a write lock held elsewhere is waited for between event-loop turns (group-commit.ts),
  // not in SQLite's busy handler, which blocks the thread. The read-only connection below, used
  // only while a transaction is open, keeps the long wait.
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (file !== ':memory:') mustBeWritable(sqlite, file);
  // Checkpoints move to a thread once this connection has written enough for them to matter;
  // a CLI command or a short test never pays for the thread.
  const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
  let checkpointer: Checkpointer | undefined;
  let writes = 0;
  const wal = file === ':memory:' ? undefined : walFlush(file);
  const noteWrites = (count: number) => {
    writes += count;
    // Once the thread checkpoints every 20 ms, its checkpoints flush the WAL.
    if (!checkpointer) wal?.soon();
    if (checkpointer || writes < CHECKPOINT_THREAD_AFTER_WRITES || file === ':memory:') return;
    checkpointer = startCheckpointer(file, () => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    });
    sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  };

  const preparer = (connection: Database.Database) => {
    const statements = new Map<string, Database.Statement>();
    return (sql: string) => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = connection.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    };
  };
  const prepare = preparer(sqlite);
  // Opened on first use, after migrations have created the file and its WAL; see `runReads`.
  let reader: { connection: Database.Database; prepare: (sql: string) => Database.Statement } | undefined;
  const readerConnection = () => {
    if (!reader) {
      const connection = new Database(file, { readonly: true, fileMustExist: true });
      connection.pragma('busy_timeout = 5000');
      reader = { connection, prepare: preparer(connection) };
    }
    return reader;
  };

  /**
   * Reads outside a transaction are queued and answered together on the check phase
   * (setImmediate), once the poll phase has handed over every request that arrived, inside one
   * read transaction. Under load a turn then runs stage by stage: every request is parsed, every
   * read answered, every response written, instead of each request interleaving SQLite with
   * socket work. That keeps each stage's code hot in the CPU caches, and the responses of a turn
   * leave in one burst, so the first wakes the client's side and the rest find it awake
   * (bench/README.md, change 16). The shared transaction also takes the WAL read lock once per
   * batch instead of once per read.
   * Freshness: the snapshot is taken by the batch's first statement, after every read in the
   * batch was asked for, so each read sees every write committed before it was asked for, by this
   * process or another, as if it had run at once. A read asked for while a batch is being
   * answered waits for the next batch: it never joins a snapshot older than itself.
   * Connection: the writer's, unless it is inside a transaction. SQLite keeps a connection's page
   * cache across its own commits but empties it whenever another connection has written, so a
   * separate reader read again, from the WAL, every page the writer had just changed: a `pread`
   * each (bench/README.md, change 22). The writer is inside a transaction only while a transaction
   * body awaits something other than the store, which none does today; its uncommitted writes
   * must not be seen, so such a batch goes to a read-only connection.
   */
  interface PendingRead {
    sql: string;
    run: (statement: Database.Statement) => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  let reads: PendingRead[] = [];
  function runReads() {
    const batch = reads;
    reads = [];
    let connection = sqlite;
    let prepareOn = prepare;
    try {
      if (sqlite.inTransaction) ({ connection, prepare: prepareOn } = readerConnection());
      if (batch.length > 1) connection.exec('BEGIN');
    } catch (error) {
      for (const item of batch) item.reject(unavailable(error));
      return;
    }
    for (const item of batch) {
      try {
        item.resolve(item.run(prepareOn(item.sql)));
      } catch (error) {
        item.reject(unavailable(error));
      }
    }
    // Ending a read transaction only drops its read lock; the answers are already out.
    if (connection.inTransaction) connection.exec('COMMIT');
  }
  function read<T>(sql: string, run: (statement: Database.Statement) => T): Promise<T> {
    // In memory there is one connection, shared with the writer's transactions: read at once.
    if (file === ':memory:') return Promise.resolve(run(prepare(sql)));
    return new Promise<T>((resolve, reject) => {
      const item = { sql, run, resolve: resolve as (value: unknown) => void, reject };
      if (reads.push(item) === 1) setImmediate(runReads);
    });
  }

  const spaceJoined = (column: string, orderBy = column) => `group_concat(${column}, ' ' ORDER BY ${orderBy})`;
  const inByteOrder = (column: string) => column;
  const direct: Omit<Db, 'transaction' | 'exclusive' | 'close'> = {
    engine: 'sqlite',
    batchesPerTurn: false,
    spaceJoined,
    inByteOrder,
    async all<T>(sql: string, params: Param[] = []) {
      return prepare(sql).raw(false).all(...params) as T[];
    },
    async get<T>(sql: string, params: Param[] = []) {
      return prepare(sql).raw(false).get(...params) as T | undefined;
    },
    async getValues(sql: string, params: Param[] = []) {
      return prepare(sql).raw(true).get(...params) as unknown[] | undefined;
    },
    async allValues(sql: string, params: Param[] = []) {
      return prepare(sql).raw(true).all(...params) as unknown[][];
    },
    async run(sql: string, params: Param[] = []) {
      return prepare(sql).run(...params).changes;
    },
    async exec(sql: string) {
      sqlite.exec(sql);
    },
  };

  const inside: Db = {
    ...direct,
    transaction: (work) => work(inside),
    exclusive: (work) => work(inside),
    close: async () => {},
  };

  const { transaction, waitFor } = groupCommit(sqlite, inside, noteWrites);

  return {
    engine: 'sqlite',
    batchesPerTurn: false,
    spaceJoined,
    inByteOrder,
    // A write outside a transaction joins the next group commit like any transaction: one
    // statement is as atomic as in autocommit, and shares the COMMIT.
    all: <T = Row>(sql: string, params: Param[] = []) => {
      if (isRead(sql)) return read(sql, (statement) => statement.raw(false).all(...params) as T[]);
      return transaction((tx) => tx.all<T>(sql, params));
    },
    get: <T = Row>(sql: string, params: Param[] = []) => {
      if (isRead(sql)) return read(sql, (statement) => statement.raw(false).get(...params) as T | undefined);
      return transaction((tx) => tx.get<T>(sql, params));
    },
    getValues: (sql, params = []) => {
      if (isRead(sql)) return read(sql, (statement) => statement.raw(true).get(...params) as unknown[] | undefined);
      return transaction((tx) => tx.getValues(sql, params));
    },
    allValues: (sql, params = []) => {
      if (isRead(sql)) return read(sql, (statement) => statement.raw(true).all(...params) as unknown[][]);
      return transaction((tx) => tx.allValues(sql, params));
    },
    run: (sql, params) => transaction((tx) => tx.run(sql, params)),
    exec: (sql) => waitFor(() => direct.exec(sql)),
    transaction,
    // BEGIN IMMEDIATE takes SQLite's write lock, which other processes on the same file respect.
    exclusive: transaction,
    close: async () => {
      await checkpointer?.stop();
      await wal?.close();
      reader?.connection.close();
      sqlite.close();
    },
  };
}
