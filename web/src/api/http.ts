/** The one place that speaks HTTP to the server: base path, token, JSON, error mapping. */
import {
  ApiError,
  type FieldError,
  InvalidInputError,
  NotFoundError,
  ServerUnreachableError,
  UnauthorizedError,
} from "./errors";

export const API_BASE = "/api/pulse";
const TOKEN_KEY = "pulse.token";

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the token lives for this page only.
  }
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

type Query = Record<string, string | number | undefined | null>;

export function apiUrl(path: string, query?: Query): string {
  let url = API_BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  return url;
}

interface ErrorBody {
  detail?: unknown;
  errors?: unknown;
}

function isFieldError(x: unknown): x is FieldError {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as FieldError).field === "string" &&
    typeof (x as FieldError).message === "string"
  );
}

/** Turn a non-success response into the typed error for its status. */
export async function errorFromResponse(res: Response): Promise<Error> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // Not JSON (a proxy's error page, say): the status alone will do.
  }
  const detail =
    typeof body.detail === "string" && body.detail ? body.detail : `${res.status} ${res.statusText}`.trim();
  const fields = Array.isArray(body.errors) ? body.errors.filter(isFieldError) : [];
  switch (res.status) {
    case 404:
      return new NotFoundError(detail);
    case 422:
      return new InvalidInputError(detail, fields);
    case 401:
      return new UnauthorizedError(detail);
    case 502:
    case 503:
    case 504:
      return new ServerUnreachableError(detail, res.status);
    default:
      return new ApiError(detail, res.status);
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
}

/** Fetch `path` under the API base; resolve to the Response on success, throw a typed error otherwise. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? "application/json", ...authHeaders() };
  const init: RequestInit = { method: opts.method ?? "GET", headers };
  if (opts.signal) init.signal = opts.signal;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), init);
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ServerUnreachableError("Cannot reach the Pulse server.");
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (err instanceof UnauthorizedError) notifyUnauthorized(headers.Authorization !== undefined);
    throw err;
  }
  return res;
}

export async function requestJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  return (await res.json()) as T;
}

// The app shows a token prompt when any call is refused for want of a token; `refused` says
// whether a token was sent (and so is wrong) or none was.
type Listener = (refused: boolean) => void;
const unauthorizedListeners = new Set<Listener>();

// A refusal that came before anyone listened (a page's first call can be answered before the
// app's effects have run, on a slow machine): kept for the first listener.
let missedRefusal: boolean | null = null;

export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  if (missedRefusal !== null) {
    const refused = missedRefusal;
    missedRefusal = null;
    fn(refused);
  }
  return () => unauthorizedListeners.delete(fn);
}

function notifyUnauthorized(refused: boolean): void {
  if (unauthorizedListeners.size === 0) missedRefusal = refused;
  for (const fn of unauthorizedListeners) fn(refused);
}
