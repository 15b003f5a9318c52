import type { SecurityEvent, SecurityEventFilter, SecurityEventsStore } from '../security-events.js';
import { type Db, type Param, shape } from './db.js';

const EVENT = shape(
  ['id', 'type', 'occurred_at', 'user_id', 'client_id', 'organization_id', 'ip', 'details'],
  (v, at): SecurityEvent => ({
    id: v[at] as string,
    type: v[at + 1] as string,
    occurredAt: Number(v[at + 2]),
    userId: v[at + 3] as string | null,
    clientId: v[at + 4] as string | null,
    organizationId: v[at + 5] as string | null,
    ip: v[at + 6] as string | null,
    details: JSON.parse(v[at + 7] as string) as SecurityEvent['details'],
  }),
);

const COLUMNS: Record<keyof SecurityEventFilter, string> = { userId: 'user_id', clientId: 'client_id', organizationId: 'organization_id', type: 'type' };

function where(filter: SecurityEventFilter): [string, Param[]] {
  const given = (Object.keys(COLUMNS) as (keyof SecurityEventFilter)[]).filter((key) => filter[key] !== undefined);
  if (given.length === 0) return ['', []];
  return [` WHERE ${given.map((key) => `${COLUMNS[key]} = ?`).join(' AND ')}`, given.map((key) => filter[key] as string)];
}

export const securityEvents = (db: Db): SecurityEventsStore => ({
  async append(e) {
    await db.run('INSERT INTO security_events (id, type, occurred_at, user_id, client_id, organization_id, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      e.id,
      e.type,
      e.occurredAt,
      e.userId,
      e.clientId,
      e.organizationId,
      e.ip,
      JSON.stringify(e.details),
    ]);
  },
  async list(filter, offset, limit) {
    const [clause, params] = where(filter);
    // Ids are lowercase hex with dashes at fixed places, so any collation orders them as bytes do:
    // by time, which each filter's index (migration 014) already holds.
    const rows = await db.allValues(`SELECT ${EVENT.select('e')} FROM security_events e${clause} ORDER BY e.id DESC LIMIT ? OFFSET ?`, [...params, limit, offset]);
    const count = await db.get<{ n: number | string }>(`SELECT count(*) AS n FROM security_events${clause}`, params);
    return { items: rows.map((row) => EVENT.read(row)), total: Number(count?.n ?? 0) };
  },
});
