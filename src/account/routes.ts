// /account: the signed-in person's connected applications and linked providers. Revoking an application revokes its
// grants (its tokens stop working at once) and forgets the consent; disconnecting a provider revokes the grants that
// require it; "Sign out everywhere" revokes every grant and ends every session.
import { type Context, Hono } from "hono";
import { revokeGrant, revokeLiveGrants } from "../http/revoke-grants";
import { getGrantIndex } from "../db/grants";
import { forgetConsents, listConnectedApps } from "../db/consents";
import { deleteLink, listLinks } from "../db/links";
import { resourcesRequiring } from "../policy/linking";
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
accountRoutes.use("/disconnect", logRequests);
accountRoutes.use("*", browserPageHeaders);
accountRoutes.use("*", sameOrigin);

accountRoutes.get("/", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const holder = await signedIn(c);
  if (!holder) return c.html(SignedOut({ config: c.get("config") }), 200);
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

/**
 * Disconnects a linked provider: forgets the link and revokes the person's grants for every server that requires the
 * provider (and the grant holding its tokens), so their tokens stop working and the next sign-in connects it again.
 */
accountRoutes.post("/disconnect", async (c) => {
  const limited = await limitPage(c);
  if (limited) return limited;
  const { form, holder } = await verifiedForm(c);
  const providers = form.getAll("provider");
  const provider = providers[0];
  const { userId } = holder.session;
  const link = providers.length === 1 && provider ? (await listLinks(c.env.DB, userId, Math.floor(Date.now() / 1000))).find((l) => l.provider === provider) : undefined;
  if (!link) throw new PageError("Invalid form", "Choose the provider to disconnect on the connected apps page.", { reason: "account disconnect without a linked provider" });
  const reason = `provider ${link.provider} disconnected by the user at /account`;
  const resources = resourcesRequiring(c.get("config").servers, link.provider);
  let revoked = 0;
  for (let round = 0; round < MAX_ROUNDS && resources.length > 0; round++) {
    const result = await revokeLiveGrants(c, { userId, resources }, reason);
    revoked += result.revoked;
    if (!result.more) break;
  }
  // The grant holding the link's tokens may serve a server that no longer requires the provider: it goes too.
  const holderGrant = await getGrantIndex(c.env.DB, link.grantId);
  if (holderGrant && holderGrant.userId === userId && (await revokeGrant(c, holderGrant, reason))) revoked++;
  await deleteLink(c.env.DB, userId, link.provider);
  audit(c, { type: "provider.disconnected", userId, detail: { provider: link.provider, grants: revoked } });
  const label = c.get("config").upstreams.find((p) => p.name === link.provider)?.label ?? link.provider;
  return showAccount(c, holder, `${label} disconnected: the applications that need it have to ask you again.`);
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
  return c.html(SignedOut({ config: c.get("config"), notice: "Signed out everywhere: every application has to ask you to sign in again." }), 200);
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
  const [apps, links] = await Promise.all([listConnectedApps(c.env.DB, holder.session.userId), listLinks(c.env.DB, holder.session.userId, Math.floor(Date.now() / 1000))]);
  return c.html(Account({ config: c.get("config"), who: holder.who, apps, links, csrfToken: csrfToken(c), notice }), 200);
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
