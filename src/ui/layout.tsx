// The shared page shell: branding, a small inline stylesheet, and nothing that loads from elsewhere but the logo.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Config } from "../config";

export interface LayoutProps {
  config: Config;
  title: string;
  children: Child;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#5f6368;--bg:#f6f7f9;--card:#fff;--accent:#2456d8;--warn:#9a5b00;--border:#dfe1e5}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#a0a4a9;--bg:#16171a;--card:#202124;--accent:#7aa2ff;--warn:#f2b84b;--border:#3c4043}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:var(--card);border:1px solid var(--border);border-radius:12px}
main.wide{max-width:52rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.5rem 0 .4rem}
.brand{display:flex;align-items:center;gap:.6rem;color:var(--muted);font-size:.95rem}.brand img{height:28px}
.muted{color:var(--muted);font-size:.9rem}.warn{color:var(--warn);border-left:3px solid var(--warn);padding:.2rem .8rem;margin:1rem 0}.verified{border-left:3px solid var(--muted);padding:.2rem .8rem;margin:1rem 0}
ul.scopes{padding-left:1.2rem}code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:var(--bg);border:1px solid var(--border);padding:.8rem;border-radius:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.actions{display:flex;gap:.8rem;margin-top:1.5rem}button,.button{font:inherit;padding:.55rem 1.2rem;border-radius:8px;border:1px solid var(--border);background:var(--card);color:var(--fg);cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}label{display:block;margin:.8rem 0 .2rem}
input[type=email],input[type=text]{width:100%;font:inherit;padding:.5rem;border-radius:8px;border:1px solid var(--border);background:var(--bg);color:var(--fg)}
footer{margin-top:1.5rem;font-size:.85rem;color:var(--muted)}footer a{color:inherit}
`;

/** Wraps a page body in the branded document. */
export function Layout({ config, title, children }: LayoutProps) {
  const { serviceName, privacyUrl } = config.branding;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · ${serviceName}`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        {children}
        {privacyUrl ? (
          <footer style="text-align:center">
            <a href={privacyUrl}>Privacy</a>
          </footer>
        ) : null}
      </body>
      </html>
    </>
  );
}

/** The service name and logo shown at the top of every card. */
export function Brand({ config }: { config: Config }) {
  const { serviceName, logoUrl } = config.branding;
  return (
    <div class="brand">
      {logoUrl ? <img src={logoUrl} alt="" /> : null}
      <span>{serviceName}</span>
    </div>
  );
}
