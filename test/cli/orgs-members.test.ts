/**
 * `borealis orgs add-member`, `remove-member` and `members`, run as a user runs them (what a
 * removal ends: test/flows/member-removal.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliSandbox } from '../support/cli.js';

describe('borealis orgs add-member / remove-member / members', () => {
  const { borealis, json, fails } = cliSandbox();
  const failure = (...args: string[]) => fails({}, ...args);

  test('members are listed and removed, in JSON or as text; removing a non-member exits 2 with the reason', async () => {
    await borealis('migrate');
    const ada = await json('users', 'create', '--email', 'ada@example.com', '--password', 'correct horse');
    const bob = await json('users', 'create', '--email', 'bob@example.com', '--password', 'correct horse');
    const org = await json('orgs', 'create', '--slug', 'acme', '--name', 'Acme', '--owner', 'ada@example.com');
    const membership = { organization_id: org.id, slug: 'acme', user_id: bob.id, email: 'bob@example.com' };

    assert.deepEqual(await json('orgs', 'add-member', '--slug', 'acme', '--email', 'Bob@example.com'), membership);
    assert.deepEqual(await json('orgs', 'members', '--slug', 'acme'), {
      organization_id: org.id,
      slug: 'acme',
      members: [{ user_id: ada.id, email: 'ada@example.com' }, { user_id: bob.id, email: 'bob@example.com' }],
    });
    assert.equal(await borealis('orgs', 'members', '--slug', 'acme'), 'ada@example.com\nbob@example.com\n');
    assert.deepEqual(await json('orgs', 'remove-member', '--slug', 'acme', '--email', 'bob@example.com'), membership);
    assert.deepEqual(await failure('orgs', 'remove-member', '--slug', 'acme', '--email', 'bob@example.com'), {
      code: 2,
      stderr: 'borealis: bob@example.com is not a member of acme.\n',
    });
    assert.equal(await borealis('orgs', 'add-member', '--slug', 'acme', '--email', 'bob@example.com'), 'bob@example.com is a member of acme\n');
    assert.equal(await borealis('orgs', 'remove-member', '--slug', 'acme', '--email', 'bob@example.com'), 'bob@example.com is no longer a member of acme\n');
    assert.deepEqual(await failure('orgs', 'remove-member', '--slug', 'nope', '--email', 'bob@example.com'), {
      code: 2,
      stderr: 'borealis: No organization with slug nope.\n',
    });
    assert.equal((await failure('orgs', 'remove-member', '--slug', 'acme')).code, 2);
    assert.equal(await borealis('orgs', 'members', '--slug', 'acme'), 'ada@example.com\n');
    await borealis('orgs', 'remove-member', '--slug', 'acme', '--email', 'ada@example.com');
    assert.equal(await borealis('orgs', 'members', '--slug', 'acme'), 'acme has no members\n');
    assert.deepEqual(await failure('orgs', 'members', '--slug', 'nope'), { code: 2, stderr: 'borealis: No organization with slug nope.\n' });
  });
});
