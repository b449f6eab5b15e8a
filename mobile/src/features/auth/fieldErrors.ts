// Where an API error belongs on a form: next to the field it names, or above the form.
import type { AppError } from "@/api/errors";

export interface FormErrors {
  email?: string;
  password?: string;
  code?: string;
  form?: string;
}

export function placeError(error: AppError | undefined): FormErrors {
  if (!error) return {};
  if (error.field === "email" || error.code === "email_taken") return { email: error.message };
  if (error.field === "password" || error.field === "new_password" || error.code === "weak_password") {
    return { password: error.message };
  }
  if (error.field === "code" || error.code === "invalid_code" || error.code === "expired_code") {
    return { code: error.message };
  }
  if (error.status === 401) return { password: error.message };
  return { form: error.message };
}
