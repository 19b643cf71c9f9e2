// /account: the signed-in person's connected applications. Revoking one revokes its grants (its tokens stop working
// at once) and forgets the consent; "Sign out everywhere" revokes every grant and ends every session.
import { type Context, Hono } from "hono";
import { revokeLiveGrants } from "../http/revoke-grants";
import { forgetConsents, listConnectedApps } from "../db/consents";
import { accountHolder, revokeSessions } from "../db/users";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { sessionCounts } from "../policy/consent";
import { checkCsrf, csrfToken, sameOrigin } from "../http/csrf";
import { PageError } from "../errors";
import { browserPageHeaders } from "../http/page-headers";
import { FORM_LIMIT, readText } from "../http/params";
import { limitPage } from "../http/rate-limit";
import { logRequests } from "../http/request-log";
import { oauthErrors, pageErrors } from "../http/respond";
import { endSession, presentedSession } from "../http/session";
import type { Session } from "../identity";
import { Account, SignedOut } from "../ui/account";

export const accountRoutes = new Hono<AppEnv>();

// The page's errors are pages. The forms' own refusals are PageErrors, pages in any format; what hono refuses
// before them (a cross-site post, an oversized body) is OAuth JSON.
accountRoutes.use(oauthErrors);
accountRoutes.use("/", pageErrors, logRequests);
accountRoutes.use("/revoke", logRequests);
accountRoutes.use("/sign-out", logRequests);
accountRoutes.use("*", browserPageHeaders);
accountRoutes.use("*", sameOrigin);

accountRoutes.get("/", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const holder = await signedIn(c);
  if (!holder) return c.html(SignedOut({ config: c.var.config }), 200);
  return showAccount(c, holder);
});

accountRoutes.post("/revoke", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const { form, holder } = await verifiedForm(c);
  const clientIds = form.getAll("client_id");
  const clientId = clientIds[0];
  if (clientIds.length !== 1 || !clientId || clientId.length > 2000) {
    throw new PageError("Invalid form", "Choose the application to revoke on the connected apps page.", { reason: "account revoke without one client_id" });
  }
  const { userId } = holder.session;
  const revoked = await revokeAllOf(c, { userId, clientId }, "revoked by the user at /account");
  const forgotten = await forgetConsents(c.env.DB, userId, clientId);
  if (forgotten || revoked > 0) audit(c, { type: "consent.revoked", userId, clientId, detail: { grants: revoked } });
  return showAccount(c, holder, forgotten || revoked > 0 ? "Access revoked: the application has to ask you again." : "That application had no access.");
});

accountRoutes.post("/sign-out", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const { holder } = await verifiedForm(c);
  const { userId } = holder.session;
  await revokeSessions(c.env.DB, userId, Date.now());
  const revoked = await revokeAllOf(c, { userId }, "user signed out everywhere");
  audit(c, { type: "user.signed_out", userId, detail: { grants: revoked } });
  endSession(c);
  return c.html(SignedOut({ config: c.var.config, notice: "Signed out everywhere: every application has to ask you to sign in again." }), 200);
});

interface Holder {
  session: Session;
  who: string;
}

/** The browser's person, if its session counts. */
async function signedIn(c: Context<AppEnv>): Promise<Holder | undefined> {
  const session = await presentedSession(c);
  if (!session) return undefined;
  const holder = await accountHolder(c.env.DB, session.userId);
  if (!holder || !sessionCounts(session, holder.sessionsRevokedAt)) return undefined;
  return { session, who: holder.email ?? holder.name ?? "you" };
}

async function showAccount(c: Context<AppEnv>, holder: Holder, notice?: string): Promise<Response> {
  const apps = await listConnectedApps(c.env.DB, holder.session.userId);
  return c.html(Account({ config: c.var.config, who: holder.who, apps, csrfToken: csrfToken(c), notice }), 200);
}

/** A form post from this page: form-encoded, CSRF-checked, from a browser whose session counts. */
async function verifiedForm(c: Context<AppEnv>): Promise<{ form: URLSearchParams; holder: Holder }> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw new PageError("Invalid form", "This form was not sent as a form.", { reason: "account POST not form-urlencoded" });
  }
  const form = new URLSearchParams(await readText(c, FORM_LIMIT));
  const checked = checkCsrf(c, form.getAll("csrf"));
  if (!checked.ok) throw new PageError("This form has expired", "Open the connected apps page again and retry.", { status: 403, reason: checked.reason });
  const holder = await signedIn(c);
  if (!holder) throw new PageError("You are signed out", "Your sign-in in this browser has ended. Sign in through an application to manage it here.", { status: 401, reason: "account POST without a session" });
  return { form, holder };
}

/** Rounds of BULK_LIMIT revocations one request makes at most: a person has far fewer grants than this allows. */
const MAX_ROUNDS = 4;

/** Revokes the owner's live grants, BULK_LIMIT at a time; how many were live. */
async function revokeAllOf(c: Context<AppEnv>, owner: { userId: string; clientId?: string }, reason: string): Promise<number> {
  let total = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { revoked, more } = await revokeLiveGrants(c, owner, reason);
    total += revoked;
    if (!more) break;
  }
  return total;
}
