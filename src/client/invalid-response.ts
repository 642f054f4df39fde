import { HttpError } from "../errors/http-error.js";
import { requestIdOf } from "./api-middleware.js";

/** An `HttpError` (code `invalid_response`) for a success answer whose body lacks what the contract promises. */
export function invalidResponse(response: Response, operation: string, what: string, body: unknown): HttpError {
  const requestId = requestIdOf(response);
  return new HttpError(`${operation} answered HTTP ${response.status} but ${what}${requestId ? ` (request id ${requestId})` : ""}`, {
    status: response.status,
    url: response.url,
    method: operation.split(" ")[0],
    requestId,
    body,
    code: "invalid_response",
  });
}
