import type { Command } from "commander";

/** Every CLI command registers itself here: one line per command module. */
export const commandRegistrations: Array<(program: Command) => void> = [];
