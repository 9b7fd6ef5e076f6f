import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the embedded database with sqlite-vec loaded. WAL lets the CLI read
 * while a worker writes; `busy_timeout` makes a second process wait instead of failing.
 */
export function openSqliteDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  sqliteVec.load(database);
  return database;
}
