/** Base of every error the project raises on purpose. `retryable` tells queues whether to try again. */
export class TwinError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** Configuration is missing or wrong; `problems` lists every one found. */
export class ConfigError extends TwinError {
  readonly problems: string[];
  constructor(problems: string[], options: { cause?: unknown } = {}) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, options);
    this.problems = problems;
  }
}

/** A page or source could not be crawled. 4xx and policy refusals are not retryable; 429/5xx are. */
export class CrawlError extends TwinError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(
    url: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean; status?: number } = {},
  ) {
    super(`${url}: ${message}`, options);
    this.url = url;
    this.status = options.status;
  }
}

/** A crawler refused a target on purpose (robots.txt, private address, non-HTML...). */
export class SkipError extends CrawlError {
  readonly reason: string;
  constructor(url: string, reason: string) {
    super(url, `skipped: ${reason}`);
    this.reason = reason;
  }
}

export class NotFoundError extends TwinError {}

/** Input broke a contract (bad payload, bad argument, invalid document). */
export class ValidationError extends TwinError {}

/** An outside service (embedding API, vector DB) failed; retryable unless it said the request was bad. */
export class ServiceError extends TwinError {}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
