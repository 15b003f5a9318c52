import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db, Param, Row } from './db.js';

/**
 * better-sqlite3 is synchronous and holds one connection. A transaction body awaits, so other
 * requests could otherwise run statements inside it; a promise-chain lock makes every statement
 * issued outside the transaction wait until it ends. Statements are prepared once and cached.
 */
export function openSqlite(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  let lock: Promise<void> | undefined;
  const spaceJoined = (column: string) => `group_concat(${column}, ' ')`;
  const direct: Omit<Db, 'transaction' | 'exclusive' | 'close'> = {
    engine: 'sqlite',
    spaceJoined,
    async all<T>(sql: string, params: Param[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: Param[] = []) {
      return prepare(sql).get(...params) as T | undefined;
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

  async function transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    while (lock) await lock;
    let release!: () => void;
    lock = new Promise<void>((resolve) => (release = resolve));
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(inside);
        sqlite.exec('COMMIT');
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    } finally {
      lock = undefined;
      release();
    }
  }

  const waitFor = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (lock) await lock;
    return fn();
  };

  return {
    engine: 'sqlite',
    spaceJoined,
    all: <T = Row>(sql: string, params?: Param[]) => (lock ? waitFor(() => direct.all<T>(sql, params)) : direct.all<T>(sql, params)),
    get: <T = Row>(sql: string, params?: Param[]) => (lock ? waitFor(() => direct.get<T>(sql, params)) : direct.get<T>(sql, params)),
    run: (sql, params) => (lock ? waitFor(() => direct.run(sql, params)) : direct.run(sql, params)),
    exec: (sql) => waitFor(() => direct.exec(sql)),
    transaction,
    // BEGIN IMMEDIATE takes SQLite's write lock, which other processes on the same file respect.
    exclusive: transaction,
    close: async () => {
      sqlite.close();
    },
  };
}
