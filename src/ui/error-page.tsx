// The page a person sees when a browser flow cannot continue: what went wrong, and an id to report.
import type { Config } from "../config";
import { Brand, Layout } from "./layout";

export interface ErrorPageProps {
  config: Config;
  title: string;
  message: string;
  correlationId: string;
}

/** A readable error page; it never echoes request input beyond what the caller put in `message`. */
export function ErrorPage({ config, title, message, correlationId }: ErrorPageProps) {
  return (
    <Layout config={config} title={title}>
      <main>
        <Brand config={config} />
        <h1>{title}</h1>
        <p>{message}</p>
        <p class="muted">
          If you report this, quote the reference <code>{correlationId}</code>.
        </p>
      </main>
    </Layout>
  );
}
