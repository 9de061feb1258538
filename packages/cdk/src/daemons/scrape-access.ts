/**
 * Security group rules for scraping host-network daemons: the scrape port, and only that port, is
 * opened on the monitored hosts' security groups to the Prometheus servers' security groups.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** Which security groups scrape and which are scraped. */
export interface ScrapeAccessProps {
  /** Security groups scrapes come from (PrometheusServer.securityGroup). @default - none: add rules yourself */
  readonly prometheusSecurityGroups?: readonly ec2.ISecurityGroup[];
  /** Security groups of the cluster's container instances, where the daemon listens. @default - none */
  readonly hostSecurityGroups?: readonly ec2.ISecurityGroup[];
}

/** Opens TCP `port` on every host security group to every Prometheus security group, nothing wider. */
export function allowScrapes(props: ScrapeAccessProps, port: number, what: string): void {
  for (const host of props.hostSecurityGroups ?? []) {
    for (const prometheus of props.prometheusSecurityGroups ?? []) {
      host.addIngressRule(prometheus, ec2.Port.tcp(port), `${what} scrape from Prometheus`);
    }
  }
}
