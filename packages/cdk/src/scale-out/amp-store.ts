/**
 * Amazon Managed Service for Prometheus as the scale-out topology's store: the workspace (created
 * unless given), the `monitoring/` rule files as rule groups namespaces, and, on a created workspace,
 * an alert manager that publishes every alert to an SNS topic AMP may use.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type AmpWorkspaceRef, ampAlertManagerDefinition, renderAmpAlertmanagerConfig } from './config.ts';

/** Props of AmpStore. */
export interface AmpStoreProps {
  /** An existing workspace; rule groups are added to it, its alert manager is left as it is. @default - a new workspace */
  readonly workspace?: AmpWorkspaceRef;
  /** Alias of a new workspace. */
  readonly alias: string;
  /** Folder of the rule files (`*.yml`, `*.yaml`; sub-folders such as `tests/` are skipped). */
  readonly rulesDirectory: string;
  /** monitoring's Alertmanager config, parsed, for the routes of a new workspace's alert manager. */
  readonly alertmanagerBase: Record<string, unknown> | undefined;
  /** Topic of a new workspace's alert manager. @default - a new topic encrypted with a new KMS key AMP may use */
  readonly alertTopic?: sns.ITopic;
}

/** AMP rule groups namespace names: 1-64 characters, a letter or digit first. */
const NAMESPACE_NAME = /^[0-9A-Za-z][-.0-9A-Z_a-z]{0,63}$/;

/** The rule files of a folder as (namespace name, content) pairs: `ecs-sd.rules.yml` → `ecs-sd.rules`. */
export function ruleGroupFiles(directory: string): { name: string; data: string }[] {
  return readdirSync(directory)
    .filter((file) => /\.ya?ml$/.test(file) && statSync(join(directory, file)).isFile())
    .sort()
    .map((file) => {
      const name = basename(file, extname(file));
      if (!NAMESPACE_NAME.test(name)) {
        throw new Error(
          `rule file ${JSON.stringify(file)} gives the namespace name ${JSON.stringify(name)}, expected 1-64 of [-.0-9A-Z_a-z] starting with a letter or digit`,
        );
      }
      return { name, data: readFileSync(join(directory, file), 'utf8') };
    });
}

/** The AMP side of the topology. */
export class AmpStore extends Construct {
  /** The workspace the agents write to and Grafana queries. */
  readonly workspace: AmpWorkspaceRef;
  /** The created workspace (undefined when one was given). */
  readonly cfnWorkspace?: aps.CfnWorkspace;
  /** Topic the created workspace's alert manager publishes to. */
  readonly alertTopic?: sns.ITopic;
  /** The created workspace's alert manager definition (also what to set on a given workspace). */
  readonly alertManagerDefinition?: string;
  /** One namespace per rule file. */
  readonly ruleGroupsNamespaces: aps.CfnRuleGroupsNamespace[];

  constructor(scope: Construct, id: string, props: AmpStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.workspace === undefined) {
      this.alertTopic = props.alertTopic ?? this.createTopic();
      this.alertManagerDefinition = ampAlertManagerDefinition(
        renderAmpAlertmanagerConfig({
          base: props.alertmanagerBase,
          topicArn: this.alertTopic.topicArn,
          region: stack.region,
        }),
      );
      this.cfnWorkspace = new aps.CfnWorkspace(this, 'Workspace', {
        alias: props.alias,
        alertManagerDefinition: this.alertManagerDefinition,
      });
      this.workspace = {
        workspaceArn: this.cfnWorkspace.attrArn,
        prometheusEndpoint: this.cfnWorkspace.attrPrometheusEndpoint,
      };
      // AMP's alert manager publishes as the aps service, for this workspace only.
      this.alertTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AmpAlertManager',
          principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
          actions: ['sns:Publish', 'sns:GetTopicAttributes'],
          resources: [this.alertTopic.topicArn],
          conditions: {
            ArnEquals: { 'aws:SourceArn': this.workspace.workspaceArn },
            StringEquals: { 'aws:SourceAccount': stack.account },
          },
        }),
      );
    } else {
      this.workspace = props.workspace;
    }
    this.ruleGroupsNamespaces = ruleGroupFiles(props.rulesDirectory).map(
      ({ name, data }) =>
        new aps.CfnRuleGroupsNamespace(this, `Rules-${name}`, {
          workspace: this.workspace.workspaceArn,
          name,
          data,
        }),
    );
  }

  /** An SNS topic encrypted with a key the aps service may use (the AWS managed SNS key does not let it). */
  private createTopic(): sns.Topic {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'AlertTopicKey', {
      description: 'Encrypts the AMP alert topic; usable by Amazon Managed Service for Prometheus',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AmpAlertManager',
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    const topic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'Prometheus alerts (Amazon Managed Service for Prometheus)',
      enforceSSL: true,
      masterKey: key,
    });
    return topic;
  }
}
