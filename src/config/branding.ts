// SERVICE_NAME, LOGO_URL, PRIVACY_URL and SIGNUP_URL: what the pages show and link to.
import type { Reader } from "./reader";

export interface Branding {
  serviceName: string;
  logoUrl?: string;
  privacyUrl?: string;
  signupUrl?: string;
}

export function parseBranding(read: Reader): Branding {
  return {
    serviceName: read.text("SERVICE_NAME") ?? "Gatehouse",
    logoUrl: read.url("LOGO_URL"),
    privacyUrl: read.url("PRIVACY_URL"),
    signupUrl: read.url("SIGNUP_URL"),
  };
}
