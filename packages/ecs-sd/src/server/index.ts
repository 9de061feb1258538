/** The daemon's web server: the app (http_sd, why-API, /metrics, health) and the optional TLS/basic-auth server. */
export { type AppDeps, buildApp, HTTP_SD_PATH, TASKS_API_PATH } from './app.ts';
export type { DiscoveryView } from './view.ts';
export { loadWebConfig, type WebConfig } from './web-config.ts';
export { createWebServer, type WebServer } from './web-server.ts';
