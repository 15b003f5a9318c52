import { addMember, createOrganization, membersOf, removeMember, userByEmail } from '../accounts/accounts.js';
import { UsageError, output, parse, printable, required, withBorealis } from './args.js';

export async function orgsCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === 'create') {
    const values = parse(rest, { slug: { type: 'string' }, name: { type: 'string' }, owner: { type: 'string' }, json: { type: 'boolean' } });
    const org = await withBorealis({}, async (b) =>
      createOrganization(b.accounts, { slug: required(values, 'slug'), name: required(values, 'name'), owner: await userByEmail(b.accounts, required(values, 'owner')) }),
    );
    output(values.json, { id: org.id, slug: org.slug, name: org.name }, `created organization ${org.slug} (${org.id})`);
    return;
  }
  if (sub === 'add-member' || sub === 'remove-member') {
    const values = parse(rest, { slug: { type: 'string' }, email: { type: 'string' }, json: { type: 'boolean' } });
    const change = sub === 'add-member' ? addMember : removeMember;
    const { organization, user } = await withBorealis({}, (b) =>
      change(b.accounts, { slug: required(values, 'slug'), email: required(values, 'email') }),
    );
    output(
      values.json,
      { organization_id: organization.id, slug: organization.slug, user_id: user.id, email: user.email },
      `${user.email} ${sub === 'add-member' ? 'is' : 'is no longer'} a member of ${organization.slug}`,
    );
    return;
  }
  if (sub === 'members') {
    const values = parse(rest, { slug: { type: 'string' }, json: { type: 'boolean' } });
    const { organization, members } = await withBorealis({}, (b) => membersOf(b.accounts, required(values, 'slug')));
    output(
      values.json,
      { organization_id: organization.id, slug: organization.slug, members: members.map((u) => ({ user_id: u.id, email: u.email })) },
      members.length ? members.map((u) => printable(u.email)).join('\n') : `${organization.slug} has no members`,
    );
    return;
  }
  throw new UsageError(`unknown orgs command: ${sub ?? '(none)'}`);
}
