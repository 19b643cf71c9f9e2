// EMAIL_POLICY and ALLOWED_EMAIL_DOMAINS: which email domains may sign in (src/policy/email-domain.ts applies them).
import type { Reader } from "./reader";

export interface SignIn {
  emailPolicy: "any" | "work";
  allowedEmailDomains: string[];
}

export function parseSignIn(read: Reader): SignIn {
  const policy = read.text("EMAIL_POLICY") ?? "any";
  let emailPolicy: SignIn["emailPolicy"] = "any";
  if (policy === "any" || policy === "work") emailPolicy = policy;
  else read.problem("EMAIL_POLICY", "must be any or work");

  const allowedEmailDomains = (read.text("ALLOWED_EMAIL_DOMAINS") ?? "")
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  if (allowedEmailDomains.some((d) => !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(d))) read.problem("ALLOWED_EMAIL_DOMAINS", "must be a comma-separated list of domain names");
  return { emailPolicy, allowedEmailDomains };
}
