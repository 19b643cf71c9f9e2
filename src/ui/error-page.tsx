// The page a person sees when a browser flow cannot continue: what went wrong, and an id to report.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../config";
import { Brand, Layout } from "./layout";

export interface ErrorPageProps {
  config: Config;
  title: string;
  message: string;
  correlationId: string;
  /** A link back to the application (its validated redirect URI with the error response), never followed automatically. */
  returnTo?: { href: string; destination: string };
}

/** A readable error page; it never echoes request input beyond what the caller put in `message`. */
export function ErrorPage({ config, title, message, correlationId, returnTo }: ErrorPageProps) {
  return (
    <Layout config={config} title={title}>
      <main>
        <Brand config={config} />
        <h1>{title}</h1>
        <p>{message}</p>
        {returnTo ? (
          <>
            <p>
              The link below goes to <strong>{returnTo.destination}</strong>. Follow it only if you started this sign-in from that application.
            </p>
            <p>
              <a href={returnTo.href}>Return to the application</a>
            </p>
          </>
        ) : null}
        <p class="muted">
          If you report this, quote the reference <code>{correlationId}</code>.
        </p>
      </main>
    </Layout>
  );
}
