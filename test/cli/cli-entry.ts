// Runs the CLI from source, as bin/diffpose.js runs it from dist/: the child-process tests use this
// so that they need no `npm run build` first.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
