/** An error as a small JSON-friendly record (for batch results printed as JSON). */
export interface ErrorSummary {
  name: string;
  code?: string;
  message: string;
}

/** Summarize an error for a batch result: its `name`, `code` when it has one, and message. */
export function errorSummary(error: unknown): ErrorSummary {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === "string" ? { code } : {}), message: error.message };
  }
  return { name: "Error", message: String(error) };
}
