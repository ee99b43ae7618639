/**
 * What can go wrong talking to the server, as types the pages can branch on:
 *
 *   ApiError                 any answer that is not a success (carries the HTTP status)
 *   ├── NotFoundError        404: the job or execution does not exist
 *   ├── InvalidInputError    422: with the server's message for each field at fault
 *   └── UnauthorizedError    401: the server wants an API token
 *   ServerUnreachableError   no answer at all (server down, network gone), or 503
 */

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class NotFoundError extends ApiError {
  override name = "NotFoundError";
  constructor(message: string) {
    super(message, 404);
  }
}

export class InvalidInputError extends ApiError {
  override name = "InvalidInputError";
  constructor(
    message: string,
    readonly fields: FieldError[],
  ) {
    super(message, 422);
  }

  /** The server's message for `field`, if it named that field. */
  messageFor(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

export class UnauthorizedError extends ApiError {
  override name = "UnauthorizedError";
  constructor(message: string) {
    super(message, 401);
  }
}

export class ServerUnreachableError extends Error {
  override name = "ServerUnreachableError";
  /** The HTTP status when something answered for the server (a 503 while its database is away). */
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A sentence for a person, whatever the error. */
export function describeError(err: unknown): string {
  if (err instanceof ServerUnreachableError) return "Cannot reach the Pulse server.";
  if (err instanceof Error) return err.message;
  return String(err);
}
