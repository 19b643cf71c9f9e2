import { describe, expect, it } from "vitest";
import { ValidatorOnFirstUse } from "./validator";

describe("the built-in server's schema validator", () => {
  it("checks an elicitation answer against its schema, as the SDK's Ajv validator does", () => {
    const validate = new ValidatorOnFirstUse().getValidator<{ name: string }>({ type: "object", properties: { name: { type: "string", minLength: 1 } }, required: ["name"] });
    expect(validate({ name: "Ada" })).toEqual({ valid: true, data: { name: "Ada" }, errorMessage: undefined });
    const refused = validate({ name: "" });
    expect(refused.valid).toBe(false);
    expect(refused.errorMessage).toMatch(/fewer than 1 character/);
  });
});
