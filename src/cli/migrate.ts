import { loadConfig } from '../config.js';
import { migrate, openDb } from '../store/sql/index.js';
import { parse } from './args.js';
import { systemClock } from '../compose.js';

export async function migrateCommand(args: string[]) {
  const values = parse(args, { database: { type: 'string' }, json: { type: 'boolean' } });
  const config = loadConfig(process.env, { databaseUrl: values.database });
  const db = await openDb(config.databaseUrl);
  try {
    const applied = await migrate(db, systemClock());
    process.stdout.write(values.json ? JSON.stringify({ applied }) + '\n' : `applied migrations: ${applied.join(', ') || 'none'}\n`);
  } finally {
    await db.close();
  }
}
