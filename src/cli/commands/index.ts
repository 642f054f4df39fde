import type { Command } from "commander";
import { registerListCommand } from "./list.js";
import { registerGetCommand } from "./get.js";
import { registerDeleteCommand } from "./delete.js";
import { registerVisibilityCommand } from "./visibility.js";
import { registerUsageCommand } from "./usage.js";
import { registerWhoamiCommand } from "./whoami.js";
import { registerInspectCommand } from "./inspect.js";
import { registerQuantCommand } from "./quant.js";
import { registerConvertCommand } from "./convert.js";
import { registerFixtureModelCommand } from "./fixture-model.js";
import { registerServeCommand } from "./serve.js";
import { registerGenerateCommand } from "./generate.js";
import { registerResumeCommand } from "./resume.js";
import { registerSearchCommand } from "./search.js";
import { registerVerifyCommand } from "./verify.js";
import { registerUploadCommand } from "./upload.js";
import { registerDownloadCommand } from "./download.js";
import { registerPullCommand } from "./pull.js";
import { registerCacheCommand } from "./cache.js";

/** Every CLI command registers itself here: one line per command module. */
export const commandRegistrations: Array<(program: Command) => void> = [
  registerListCommand,
  registerGetCommand,
  registerDeleteCommand,
  registerVisibilityCommand,
  registerUsageCommand,
  registerWhoamiCommand,
  registerInspectCommand,
  registerQuantCommand,
  registerConvertCommand,
  registerFixtureModelCommand,
  registerServeCommand,
  registerGenerateCommand,
  registerResumeCommand,
  registerSearchCommand,
  registerVerifyCommand,
  registerUploadCommand,
  registerDownloadCommand,
  registerPullCommand,
  registerCacheCommand,
];
