/**
 * Lists sorted by text come out in byte order on PostgreSQL whatever the database's collation
 * (db.ts, `inByteOrder`), as they do on SQLite. The shared test database sorts like bytes
 * (C.UTF-8), so these run on a database of their own with an ICU `en-US` collation, where
 * punctuation and case are compared otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ENGINE } from '../support/server.js';
import { NOW, aClient, aUser, anOrganization, type Harness, harness } from './fixtures.js';

/** A database created with an ICU collation, or why none could be made here. */
async function icuDatabase(base: string): Promise<{ url: string; drop: () => Promise<void> } | string> {
  const name = `borealis_icu_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
  } catch (error) {
    return `this PostgreSQL cannot create an ICU database (${(error as Error).message})`;
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

const byteOrder = (values: string[]) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('PostgreSQL lists in byte order under an ICU collation', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite always compares text byte by byte' }, () => {
  let h: Harness | undefined;
  let unavailable = '';
  before(async () => {
    const database = await icuDatabase(process.env.DATABASE_URL as string);
    if (typeof database === 'string') unavailable = database;
    else h = await harness(database);
  });
  after(() => h?.close());

  test('organization members, by email', async (t) => {
    if (!h) return t.skip(unavailable);
    const tag = randomBytes(3).toString('hex');
    const emails = ['a_b', 'a', 'a+b', 'a.b', 'a1', 'A2'].map((local) => `${local}@${tag}.example.com`);
    const users = emails.map((email) => aUser({ email }));
    for (const user of users) await h.store.users.create(user);
    const org = anOrganization();
    await h.store.organizations.create(org, users[0]!.id);
    for (const user of users.slice(1)) await h.store.organizations.addMember(org.id, user.id, NOW);
    const listed = (await h.store.organizations.listMembers(org.id)).map((u) => u.email);
    assert.deepEqual(listed, byteOrder(emails.map((e) => e.toLowerCase())).map((lower) => emails.find((e) => e.toLowerCase() === lower)));
  });

  test("a user's organizations created in the same second, by slug", async (t) => {
    if (!h) return t.skip(unavailable);
    const owner = aUser();
    await h.store.users.create(owner);
    const slugs = ['ab', 'a-c', 'a1'];
    for (const slug of slugs) await h.store.organizations.create(anOrganization({ slug, createdAt: NOW }), owner.id);
    assert.deepEqual((await h.store.organizations.listForUser(owner.id)).map((o) => o.slug), byteOrder(slugs));
  });

  test('consents given in the same second, by client id (mixed case)', async (t) => {
    if (!h) return t.skip(unavailable);
    const user = aUser();
    await h.store.users.create(user);
    const tag = randomBytes(3).toString('hex');
    const ids = [`ci_a${tag}`, `ci_B${tag}`, `ci_c${tag}`, `ci_D${tag}`];
    for (const clientId of ids) {
      await h.store.clients.create(aClient({ clientId }));
      await h.store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
    }
    assert.deepEqual((await h.store.consents.listForUser(user.id)).map((c) => c.clientId), byteOrder(ids));
  });
});
