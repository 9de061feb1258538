import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Sim, startSim } from '../src/index.ts';
import { clientConfig, clients, rejects } from './helpers.ts';

describe('sts', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({
      throttling: false,
      fleet: {
        clusters: [{ name: 'home' }],
        accounts: [
          {
            accountId: '210987654321',
            roles: [{ name: 'discovery', externalId: 'ext-1' }, { name: 'open' }],
            clusters: [{ name: 'away' }],
          },
          { accountId: '333333333333', accessKeyIds: ['AKIATHIRDACCOUNT'], clusters: [{ name: 'third' }] },
        ],
      },
    });
  });
  after(() => sim.close());

  it('GetCallerIdentity answers for the default account', async () => {
    const r = await clients(sim).sts.send(new GetCallerIdentityCommand({}));
    assert.equal(r.Account, '123456789012');
    assert.equal(r.Arn, 'arn:aws:iam::123456789012:user/ecs-sim');
    assert.ok(r.$metadata.requestId);
  });

  it('AssumeRole with the right ExternalId gives credentials that act in the other account', async () => {
    const { sts } = clients(sim);
    const r = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::210987654321:role/discovery',
        RoleSessionName: 'ecs-sd',
        ExternalId: 'ext-1',
      }),
    );
    const c = r.Credentials!;
    assert.match(c.AccessKeyId!, /^ASIA/);
    assert.ok(c.Expiration instanceof Date);
    assert.equal(r.AssumedRoleUser?.Arn, 'arn:aws:sts::210987654321:assumed-role/discovery/ecs-sd');
    const cfg = clientConfig(sim, c.AccessKeyId!, {
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    });
    const who = await new STSClient(cfg).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, '210987654321');
    assert.equal(who.Arn, 'arn:aws:sts::210987654321:assumed-role/discovery/ecs-sd');
    const clusters = await new ECSClient(cfg).send(new ListClustersCommand({}));
    assert.deepEqual(clusters.clusterArns, ['arn:aws:ecs:us-east-1:210987654321:cluster/away']);
    assert.equal(sim.counters('210987654321')['ListClusters'], 1);
  });

  it('maps static access keys from the fleet to their account', async () => {
    const { ecs, sts } = clients(sim, 'AKIATHIRDACCOUNT');
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '333333333333');
    const r = await ecs.send(new ListClustersCommand({}));
    assert.deepEqual(r.clusterArns, ['arn:aws:ecs:us-east-1:333333333333:cluster/third']);
  });

  it('denies a wrong or missing ExternalId and unknown roles with AccessDenied (403)', async () => {
    const { sts } = clients(sim);
    for (const input of [
      { RoleArn: 'arn:aws:iam::210987654321:role/discovery', RoleSessionName: 's1', ExternalId: 'wrong' },
      { RoleArn: 'arn:aws:iam::210987654321:role/discovery', RoleSessionName: 's1' },
      { RoleArn: 'arn:aws:iam::210987654321:role/nobody', RoleSessionName: 's1' },
    ]) {
      const e = await rejects(() => sts.send(new AssumeRoleCommand(input)));
      assert.equal(e.name, 'AccessDenied');
      assert.equal(e.$metadata?.httpStatusCode, 403);
      assert.match(
        e.message,
        /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role\//,
      );
    }
    const ok = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::210987654321:role/open', RoleSessionName: 's2' }),
    );
    assert.ok(ok.Credentials?.AccessKeyId);
    const bad = await rejects(() =>
      sts.send(new AssumeRoleCommand({ RoleArn: 'not-an-arn', RoleSessionName: 's2' })),
    );
    assert.equal(bad.name, 'ValidationError');
  });
});
