/**
 * The boot script of a Prometheus server instance: attach the data volume found by tag, format it
 * only when blank, mount it by UUID, then tell the ECS agent the volume is ready. Pure: returns
 * shell lines, so tests can read and syntax-check them.
 */

/** ECS container instance attribute set once the data volume is mounted; tasks are placed only there. */
export const DATA_VOLUME_ATTRIBUTE = 'ecs-sd.data-volume';

/** A directory on the data volume and the uid:gid of the container process that writes it. */
export interface DataDirectory {
  readonly path: string;
  readonly owner: string;
}

/** Input of renderDataVolumeScript. */
export interface DataVolumeScriptInput {
  /** Tag key and value that identify this server's volume (the IAM policy is scoped by the same tag). */
  readonly tagKey: string;
  readonly tagValue: string;
  /** Device name requested at attach time; on Xen instances the volume appears under it. */
  readonly deviceName: string;
  readonly mountPoint: string;
  readonly directories: readonly DataDirectory[];
  /** How long to keep trying to attach (the previous instance may still hold the volume). */
  readonly attachTimeoutSeconds: number;
}

const SAFE = /^[A-Za-z0-9._:/@=+-]+$/;

/** Shell lines that attach, format-if-blank and mount the data volume; throws on values unsafe to quote. */
export function renderDataVolumeScript(input: DataVolumeScriptInput): string[] {
  for (const [name, value] of Object.entries({
    tagKey: input.tagKey,
    tagValue: input.tagValue,
    deviceName: input.deviceName,
    mountPoint: input.mountPoint,
    ...Object.fromEntries(input.directories.flatMap((d, i) => [[`directories[${i}].path`, d.path]])),
    ...Object.fromEntries(input.directories.flatMap((d, i) => [[`directories[${i}].owner`, d.owner]])),
  })) {
    if (!SAFE.test(value)) {
      throw new Error(
        `${name} ${JSON.stringify(value)} has characters unsafe in a shell script, expected [A-Za-z0-9._:/@=+-]`,
      );
    }
  }
  const imds = 'http://169.254.169.254/latest';
  return [
    'set -euo pipefail',
    // IMDSv2 only: every metadata read carries a session token.
    `TOKEN=$(curl -fsS -X PUT ${imds}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600')`,
    `imds() { curl -fsS -H "X-aws-ec2-metadata-token: $TOKEN" "${imds}/meta-data/$1"; }`,
    'INSTANCE_ID=$(imds instance-id)',
    'AZ=$(imds placement/availability-zone)',
    'export AWS_DEFAULT_REGION=$(imds placement/region)',
    'command -v aws >/dev/null 2>&1 || dnf install -y -q awscli-2',
    `DEADLINE=$((SECONDS + ${input.attachTimeoutSeconds}))`,
    'fail() { echo "ecs-sd data volume: $*" >&2; exit 1; }',
    `VOLUME_ID=$(aws ec2 describe-volumes --filters 'Name=tag:${input.tagKey},Values=${input.tagValue}' "Name=availability-zone,Values=$AZ" --query 'Volumes[0].VolumeId' --output text)`,
    `case "$VOLUME_ID" in vol-*) ;; *) fail "no volume tagged ${input.tagKey}=${input.tagValue} in $AZ, got '$VOLUME_ID'";; esac`,
    `attachment() { aws ec2 describe-volumes --volume-ids "$VOLUME_ID" --query 'Volumes[0].Attachments[0].[InstanceId,State]' --output text; }`,
    `until [ "$(attachment)" = "$(printf '%s\\tattached' "$INSTANCE_ID")" ]; do`,
    `  aws ec2 attach-volume --volume-id "$VOLUME_ID" --instance-id "$INSTANCE_ID" --device ${input.deviceName} >/dev/null 2>&1 || true`,
    '  [ "$SECONDS" -lt "$DEADLINE" ] || fail "could not attach $VOLUME_ID to $INSTANCE_ID: $(attachment)"',
    '  sleep 5',
    'done',
    // Nitro instances expose EBS as NVMe with the volume id (without its dash) as serial; Xen ones use the requested name.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    'NVME_LINK="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID/-/}"',
    `until [ -b "$NVME_LINK" ] || [ -b ${input.deviceName} ]; do`,
    '  [ "$SECONDS" -lt "$DEADLINE" ] || fail "no block device for $VOLUME_ID"',
    '  sleep 1',
    'done',
    `if [ -b "$NVME_LINK" ]; then DEVICE=$(readlink -f "$NVME_LINK"); else DEVICE=${input.deviceName}; fi`,
    // Format only a blank volume: blkid finds no filesystem signature (exit status 2).
    'if ! blkid "$DEVICE" >/dev/null 2>&1; then mkfs -t xfs "$DEVICE"; fi',
    'FS_UUID=$(blkid -s UUID -o value "$DEVICE")',
    'FS_TYPE=$(blkid -s TYPE -o value "$DEVICE")',
    `mkdir -p ${input.mountPoint}`,
    `grep -q "^UUID=$FS_UUID " /etc/fstab || echo "UUID=$FS_UUID ${input.mountPoint} $FS_TYPE defaults,nofail 0 2" >> /etc/fstab`,
    `mountpoint -q ${input.mountPoint} || mount ${input.mountPoint}`,
    ...input.directories.flatMap((dir) => [
      `mkdir -p ${input.mountPoint}/${dir.path}`,
      `chown ${dir.owner} ${input.mountPoint}/${dir.path}`,
    ]),
    `echo 'ECS_INSTANCE_ATTRIBUTES={"${DATA_VOLUME_ATTRIBUTE}":"mounted"}' >> /etc/ecs/ecs.config`,
  ];
}
