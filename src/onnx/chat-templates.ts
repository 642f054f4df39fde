import { ModelFolderError } from "../errors/compatibility-error.js";

/**
 * Read `chat_template` from `tokenizer_config.json`: one template (a string), named templates (`default`,
 * `tool_use`, …, stored as a list of `{name, template}` or as an object; a list comes back as an object), or
 * `undefined` when it has none. Only a list is checked here (as transformers.js does when it
 * loads a tokenizer); any other unusable value fails when a conversation is rendered ({@link pickChatTemplate}).
 * The folder's `chat_template.jinja` is not read: transformers.js reads it for processors, not for tokenizers.
 * @throws {ModelFolderError} when the list has an entry without a string `name` and `template`.
 * @example readChatTemplates({ chat_template: [{ name: "default", template: "…" }] }, dir) // { default: "…" }
 */
export function readChatTemplates(config: Record<string, unknown>, dir: string): unknown {
  const value = config["chat_template"] ?? undefined;
  if (!Array.isArray(value)) return value;
  const named: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of value as Array<{ name?: unknown; template?: unknown } | null>) {
    if (typeof entry?.name !== "string" || typeof entry.template !== "string") {
      throw new ModelFolderError(
        `tokenizer_config.json in ${dir}: chat_template must be a list of objects with "name" and "template" strings`,
        dir,
      );
    }
    named[entry.name] = entry.template;
  }
  return named;
}

/**
 * The template to render, chosen as transformers.js 4.3.1 does: with named templates, `requested` names one (else it
 * is a template itself), or `tool_use` when `tools` are given, else `default`; with one template, `requested`
 * replaces it.
 * @throws {ModelFolderError} when the folder has no chat template (and none is passed), or no `default` among named
 * ones, or the choice is not a string.
 * @example pickChatTemplate({ default: "A", tool_use: "B" }, { requested: null, hasTools: true }, dir) // "B"
 */
export function pickChatTemplate(
  templates: unknown,
  choice: { /** `chat_template` of the options: a name or a template. */ requested: unknown; /** `tools` are passed. */ hasTools: boolean },
  dir: string,
): string {
  let template = choice.requested;
  if (templates !== null && typeof templates === "object") {
    const named = templates as Record<string, unknown>;
    if (template !== null && typeof template === "string" && Object.hasOwn(named, template)) {
      template = named[template];
    } else if (template === null) {
      if (choice.hasTools && "tool_use" in named) template = named["tool_use"];
      else if ("default" in named) template = named["default"];
      else {
        throw new ModelFolderError(
          `tokenizer_config.json in ${dir} has several chat templates and no default: pass chat_template, one of ` +
            `${Object.keys(named).sort().join(", ")}`,
          dir,
        );
      }
    }
  } else if (template === null) {
    if (!templates) {
      throw new ModelFolderError(
        `tokenizer_config.json in ${dir} has no chat_template: render the conversation yourself, or pass chat_template`,
        dir,
      );
    }
    template = templates;
  }
  if (typeof template !== "string") {
    throw new ModelFolderError(`the chat template of ${dir} must be a string, but it is ${typeof template}`, dir);
  }
  return template;
}
