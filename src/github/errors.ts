/** The HTTP status of an Octokit RequestError, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/** GitHub's 422 carries `errors[].message`; the text tells "already exists" from other validation failures. */
export function validationMessages(error: unknown): string {
  const response = (error as { response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string }> } } }).response;
  const data = response?.data;
  return [data?.message, ...(data?.errors ?? []).map((e) => `${e.code ?? ""} ${e.message ?? ""}`)].join(" ");
}
