// The email policy as sign-ins apply it (src/policy/email-domain.ts, with the D1 lists only under
// EMAIL_POLICY=work), and the page for a refused sign-in: one clear message per refusal.
import type { Context } from "hono";
import { lookupEmailDomain } from "../db/email-domains";
import type { AppEnv } from "../http/app-env";
import { checkEmailDomain, type EmailDecision, type EmailRefusal, type PresentedEmail } from "../policy/email-domain";
import { PageError } from "../errors";

/** Whether a person with `email` may sign in now. The lists are too large to bundle: read only when needed. */
export async function admitEmailDomain(c: Context<AppEnv>, email: PresentedEmail): Promise<EmailDecision> {
  const config = c.get("config");
  const listed = config.emailPolicy === "work" && email.domain !== undefined && email.verified ? await lookupEmailDomain(c.env.DB, email.domain) : undefined;
  return checkEmailDomain(config, email, listed);
}

/** The page a person sees for `error`; `reason` is logged, never shown. A list not loaded is the operator's fault: 503. */
export function emailRefusalPage(error: EmailRefusal, serviceName: string, reason: string): PageError {
  switch (error) {
    case "free":
      return new PageError("Use your work email", `Personal email providers can't sign in to ${serviceName}. Sign in with your work account.`, { status: 403, reason });
    case "disposable":
      return new PageError("Disposable email addresses can't sign in", `Disposable email addresses can't sign in to ${serviceName}. Sign in with your work account.`, { status: 403, reason });
    case "list_not_loaded":
      return new PageError("Sign-in is unavailable", `${serviceName} can't check email addresses right now, so sign-in is turned off. Try again later or tell the service's administrator.`, { status: 503, reason });
    case "unverified":
      return new PageError(
        "Verify your email address first",
        `${serviceName} only admits accounts from approved email domains, and your identity provider has not verified your email address, so its domain proves nothing. Verify your email address there, then sign in again.`,
        { status: 403, reason },
      );
    case "no_domain":
    case "not_allowed":
      return new PageError("This email address cannot sign in here", `${serviceName} only admits accounts from approved email domains. Sign in with your work account.`, { status: 403, reason });
  }
}
