/**
 * The fleet of the pool tests and benches: a `web` cluster whose `app` service's tasks are scraped
 * (awsvpc, `PROMETHEUS=true` on port 9100), and a `monitoring` cluster holding the pool's members,
 * running tasks of the `prometheus-agent` family.
 */
export function poolFleet(options: { cidr: string; appTasks: number; members: number }) {
  return {
    subnets: [{ id: 'subnet-a', cidr: options.cidr, availabilityZone: 'us-east-1a' }],
    taskDefinitions: [
      {
        family: 'app',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: 'app',
            image: 'example/app:1',
            portMappings: [{ containerPort: 9100 }],
            environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' },
          },
        ],
      },
      {
        family: 'prometheus-agent',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          { name: 'prometheus', image: 'prom/prometheus:v3', portMappings: [{ containerPort: 9090 }] },
        ],
      },
    ],
    clusters: [
      {
        name: 'web',
        services: [
          {
            name: 'app',
            taskDefinition: 'app',
            desiredCount: options.appTasks,
            launchType: 'FARGATE',
            subnet: 'subnet-a',
          },
        ],
      },
      {
        name: 'monitoring',
        tasks: [
          {
            taskDefinition: 'prometheus-agent',
            count: options.members,
            launchType: 'FARGATE',
            subnet: 'subnet-a',
          },
        ],
      },
    ],
  };
}
