/**
 * Security events as stored (audit-trail.ts keeps them; audit.ts defines them). The columns are
 * what a listing filters on; the event's other fields are its `details`.
 */
export interface SecurityEvent {
  /** UUIDv7: newest first is descending id order, to the millisecond. */
  id: string;
  /** `sign_in.succeeded`, `password.changed`, … (audit.ts). */
  type: string;
  /** Epoch seconds. */
  occurredAt: number;
  userId: string | null;
  clientId: string | null;
  organizationId: string | null;
  ip: string | null;
  details: Record<string, string | number | boolean>;
}

/** Every field given must match. */
export interface SecurityEventFilter {
  userId?: string;
  clientId?: string;
  organizationId?: string;
  type?: string;
}

export interface SecurityEventsStore {
  append(event: SecurityEvent): Promise<void>;
  /** Newest first, a page of them, with how many match in all. */
  list(filter: SecurityEventFilter, offset: number, limit: number): Promise<{ items: SecurityEvent[]; total: number }>;
}
