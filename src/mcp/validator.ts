// The JSON Schema validator the built-in server hands the MCP SDK (src/mcp/server.ts).
import type { JsonSchemaType, jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";

/**
 * The SDK checks a client's elicitation answer against its schema with Ajv, and builds an Ajv for every server it
 * makes: about a tenth of an unauthenticated `tools/list`'s CPU (issue 17). This one builds it when a tool first
 * elicits.
 */
export class ValidatorOnFirstUse implements jsonSchemaValidator {
  #ajv?: AjvJsonSchemaValidator;
  getValidator<T>(schema: JsonSchemaType) {
    this.#ajv ??= new AjvJsonSchemaValidator();
    return this.#ajv.getValidator<T>(schema);
  }
}
