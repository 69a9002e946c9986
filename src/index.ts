/**
 * The programmatic entry of the `jwt-oidc` package: run the service inside your own process, or
 * use its parts. The libraries for other servers are packages of their own: @jwt-oidc/resource,
 * @jwt-oidc/apollo and @jwt-oidc/express.
 */
export { ConfigError, loadSettings, type LoadedSettings, type LoadSettingsOptions, type Settings } from './config/load.js';
export { definitions as settingDefinitions, type Mode, type SignatureAlg } from './config/definitions.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export { createApp, type App, type AppOptions } from './app.js';
export { openDatabase, DatabaseUnavailableError, type Database } from './db/database.js';
export { UserService, UserError, publicUser, type CreateUserInput, type UpdateUserInput } from './users/user-service.js';
export { hashPassword, verifyPassword } from './users/password.js';
export { createLogger, type Logger } from './log.js';
export { VERSION } from './version.js';
