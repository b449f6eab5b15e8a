// The password rules the user pool enforces (shared/nija/local/identity.py PASSWORD_POLICY and the
// CDK app's pool), shown while the user types.
export interface PasswordRule {
  label: string;
  met: (password: string) => boolean;
}

export const PASSWORD_RULES: PasswordRule[] = [
  { label: "At least 12 characters", met: (p) => p.length >= 12 },
  { label: "An uppercase letter", met: (p) => /[A-Z]/.test(p) },
  { label: "A lowercase letter", met: (p) => /[a-z]/.test(p) },
  { label: "A digit", met: (p) => /[0-9]/.test(p) },
  { label: "A symbol", met: (p) => /[^A-Za-z0-9]/.test(p) },
];

export function passwordOk(password: string): boolean {
  return PASSWORD_RULES.every((rule) => rule.met(password));
}
