// The API's error answers as the app shows them: a message, the field it concerns, and for a 429 how
// long to wait. Every error body is {"error": {"code", "message", "field"?}}.
import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";
import type { SerializedError } from "@reduxjs/toolkit";

export interface AppError {
  status: number | "offline";
  code: string;
  message: string;
  field?: string;
  retryAfterS?: number;
}

const FRIENDLY: Record<string, string> = {
  unauthenticated: "Wrong email or password.",
  email_taken: "An account with this email already exists.",
  weak_password: "This password does not meet the rules below.",
  invalid_code: "That code is not right. Check your authenticator or email and try again.",
  expired_code: "That code has expired. Ask for a new one.",
  wrong_password: "That is not your current password.",
  not_confirmed: "Confirm your email address first: enter the code we sent you.",
  account_inactive: "This account is disabled or being deleted.",
};

function body(data: unknown): { code?: string; message?: string; field?: string } {
  if (data && typeof data === "object" && "error" in data) {
    const inner = (data as { error: unknown }).error;
    if (inner && typeof inner === "object") return inner as { code?: string; message?: string; field?: string };
  }
  return {};
}

export function toAppError(error: FetchBaseQueryError | SerializedError | undefined): AppError | undefined {
  if (!error) return undefined;
  if (!("status" in error)) {
    return { status: "offline", code: "error", message: error.message ?? "Something went wrong." };
  }
  if (error.status === "FETCH_ERROR" || error.status === "TIMEOUT_ERROR") {
    return { status: "offline", code: "offline", message: "The NIJA service cannot be reached. Check your connection." };
  }
  if (typeof error.status !== "number") {
    return { status: "offline", code: "error", message: "The service answered something unexpected." };
  }
  const { code = "error", message, field } = body(error.data);
  const retryAfterS = (error as { retryAfterS?: number }).retryAfterS;
  if (error.status === 429) {
    const wait = retryAfterS ?? 60;
    return {
      status: 429,
      code,
      field,
      retryAfterS: wait,
      message: `Too many attempts. Try again in ${wait} second${wait === 1 ? "" : "s"}.`,
    };
  }
  if (error.status === 401 && code === "unauthenticated") {
    return { status: 401, code, field, message: FRIENDLY.unauthenticated! };
  }
  return {
    status: error.status,
    code,
    field,
    message: FRIENDLY[code] ?? message ?? `The service answered ${error.status}.`,
  };
}
