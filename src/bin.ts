#!/usr/bin/env node
/** Entry point of the `vmms-emu` command (see src/cli.ts). */
import { main } from './cli.js';

main(process.argv.slice(2)).then((code) => {
  // `serve` keeps running on its listeners; anything else ends here
  if (code !== 0) process.exit(code);
});
