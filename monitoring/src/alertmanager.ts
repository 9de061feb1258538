/**
 * Adapts the checked-in Alertmanager configuration to a local run. Pure text substitution, so the file
 * stays the one source of truth and keeps its commented receiver examples.
 */

/** The webhook base URL every receiver of alertmanager/alertmanager.yml posts to out of the box. */
export const DEFAULT_WEBHOOK_BASE_URL = 'http://127.0.0.1:5001';

/** Points every receiver's webhook at `webhookBaseUrl` (e.g. a sink on port 0); paths stay `/alerts/<receiver>`. */
export function renderAlertmanagerConfig(configText: string, options: { webhookBaseUrl: string }): string {
  const base = options.webhookBaseUrl.replace(/\/+$/, '');
  if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
    throw new Error(`webhookBaseUrl "${options.webhookBaseUrl}" is not an absolute http(s) URL`);
  }
  if (!configText.includes(`${DEFAULT_WEBHOOK_BASE_URL}/`)) {
    throw new Error(
      `alertmanager configuration has no webhook under ${DEFAULT_WEBHOOK_BASE_URL}/ to replace`,
    );
  }
  return configText.replaceAll(`${DEFAULT_WEBHOOK_BASE_URL}/`, `${base}/`);
}
