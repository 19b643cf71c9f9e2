// A tiny HTML form reader for the headless browser: finds each <form>, its action and method, its fields and its
// submit buttons, and builds the submission a browser would send for a chosen button.
// @see https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#constructing-the-form-data-set

/** A successful control of a form: a named input, select or textarea. */
export interface FormField {
  name: string;
  value: string;
  /** `hidden`, `text`, `email`, `password`, `checkbox`, `select`, `textarea`, … */
  type: string;
  checked: boolean;
  required: boolean;
}

/** A submit button (`<button>` without `type` or with `type=submit`, or `<input type=submit>`). */
export interface SubmitButton {
  name?: string;
  value: string;
  label: string;
  formNoValidate: boolean;
  /** The button's own `formaction`, which overrides the form's action. */
  formAction?: string;
}

export interface HtmlForm {
  /** The resolved action URL (the page's URL when the attribute is absent or empty). */
  action: URL;
  method: "GET" | "POST";
  fields: FormField[];
  buttons: SubmitButton[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Decodes the character references hono/jsx, oidc-provider and most templates emit. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The attributes of a start tag's text (`<input type="hidden" name=x required>`), names lower-cased. */
export function parseAttributes(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const inner = tag.replace(/^<[a-z0-9-]+/i, "").replace(/\/?>$/, "");
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const m of inner.matchAll(re)) {
    const name = (m[1] ?? "").toLowerCase();
    if (name in attributes) continue; // the first occurrence wins, as in browsers
    attributes[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return attributes;
}

/** Every form on the page at `pageUrl`, in document order. */
export function parseForms(html: string, pageUrl: URL): HtmlForm[] {
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, "");
  const forms: HtmlForm[] = [];
  for (const m of withoutComments.matchAll(/(<form\b[^>]*>)([\s\S]*?)<\/form\s*>/gi)) {
    const attributes = parseAttributes(m[1] ?? "");
    const body = m[2] ?? "";
    const action = attributes.action ? new URL(attributes.action, pageUrl) : new URL(pageUrl);
    const method = (attributes.method ?? "get").toUpperCase() === "POST" ? "POST" : "GET";
    forms.push({ action, method, fields: parseFields(body), buttons: parseButtons(body) });
  }
  return forms;
}

function parseFields(body: string): FormField[] {
  const fields: FormField[] = [];
  const re = /<input\b[^>]*>|<textarea\b[^>]*>([\s\S]*?)<\/textarea\s*>|<select\b[^>]*>([\s\S]*?)<\/select\s*>/gi;
  for (const m of body.matchAll(re)) {
    const tag = m[0];
    const attributes = parseAttributes(/^<[^>]*>/.exec(tag)?.[0] ?? tag);
    if (attributes.name === undefined || "disabled" in attributes) continue;
    const required = "required" in attributes;
    if (/^<textarea/i.test(tag)) {
      fields.push({ name: attributes.name, value: decodeEntities(m[1] ?? ""), type: "textarea", checked: false, required });
    } else if (/^<select/i.test(tag)) {
      const options = [...(m[2] ?? "").matchAll(/<option\b[^>]*>([^<]*)/gi)].map((o) => ({ attributes: parseAttributes(/^<[^>]*>/.exec(o[0])?.[0] ?? ""), text: o[1] ?? "" }));
      const chosen = options.find((o) => "selected" in o.attributes) ?? options[0];
      fields.push({ name: attributes.name, value: chosen ? (chosen.attributes.value ?? decodeEntities(chosen.text).trim()) : "", type: "select", checked: false, required });
    } else {
      const type = (attributes.type ?? "text").toLowerCase();
      if (["submit", "image", "button", "reset", "file"].includes(type)) continue;
      const defaultValue = type === "checkbox" || type === "radio" ? "on" : "";
      fields.push({ name: attributes.name, value: attributes.value ?? defaultValue, type, checked: "checked" in attributes, required });
    }
  }
  return fields;
}

function parseButtons(body: string): SubmitButton[] {
  const buttons: SubmitButton[] = [];
  for (const m of body.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button\s*>|<input\b[^>]*>/gi)) {
    const tag = m[0];
    const attributes = parseAttributes(/^<[^>]*>/.exec(tag)?.[0] ?? tag);
    const isButton = /^<button/i.test(tag);
    const type = (attributes.type ?? (isButton ? "submit" : "text")).toLowerCase();
    if (type !== "submit" || "disabled" in attributes) continue;
    const label = isButton ? decodeEntities((m[1] ?? "").replace(/<[^>]*>/g, "")).trim() : (attributes.value ?? "Submit");
    buttons.push({ name: attributes.name || undefined, value: attributes.value ?? "", label, formNoValidate: "formnovalidate" in attributes, formAction: attributes.formaction });
  }
  return buttons;
}

/**
 * The form data set a browser sends when `button` submits `form` with the user's `input` typed into fields that
 * exist on the form. Filling a field the form does not have is an error: it means the page is not the one expected.
 */
export function formData(form: HtmlForm, input: Record<string, string>, button: SubmitButton | undefined): URLSearchParams {
  const data = new URLSearchParams();
  const names = new Set(form.fields.map((f) => f.name));
  for (const name of Object.keys(input)) {
    if (!names.has(name)) throw new Error(`the form posting to ${form.action.href} has no field "${name}"`);
  }
  for (const field of form.fields) {
    if ((field.type === "checkbox" || field.type === "radio") && !field.checked && !(field.name in input)) continue;
    const value = input[field.name] ?? field.value;
    if (field.required && value === "" && !button?.formNoValidate) throw new Error(`the required field "${field.name}" is empty`);
    data.append(field.name, value);
  }
  if (button?.name) data.append(button.name, button.value);
  return data;
}
