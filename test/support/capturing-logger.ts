import type { LoggerService } from '@nestjs/common';

/** Every line an application logs, with its level and context, as a logger passed to it sees them. */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  readonly contexts = new Set<string>();

  log(message: unknown, context?: string) {
    this.add('log', message, context);
  }
  error(message: unknown, context?: string) {
    this.add('error', message, context);
  }
  warn(message: unknown, context?: string) {
    this.add('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.add('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.add('verbose', message, context);
  }

  /** The messages logged at `level`, in order. */
  at(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  private add(level: string, message: unknown, context: unknown) {
    this.lines.push({ level, message: String(message) });
    if (typeof context === 'string') this.contexts.add(context);
  }
}
