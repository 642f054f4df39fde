import type { Command } from "commander";
import { registerInspectCommand } from "./inspect.js";
import { registerQuantCommand } from "./quant.js";
import { registerConvertCommand } from "./convert.js";
import { registerFixtureModelCommand } from "./fixture-model.js";
import { registerServeCommand } from "./serve.js";
import { registerGenerateCommand } from "./generate.js";
import { registerResumeCommand } from "./resume.js";
import { registerSearchCommand } from "./search.js";
import { registerVerifyCommand } from "./verify.js";

/** Every CLI command registers itself here: one line per command module. */
export const commandRegistrations: Array<(program: Command) => void> = [
  registerInspectCommand,
  registerQuantCommand,
  registerConvertCommand,
  registerFixtureModelCommand,
  registerServeCommand,
  registerGenerateCommand,
  registerResumeCommand,
  registerSearchCommand,
  registerVerifyCommand,
];
