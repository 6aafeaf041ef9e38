/** What the router logs through; Nest's `Logger` fits it. */
export interface WampLogger {
  log(message: string): void;
  debug(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}
