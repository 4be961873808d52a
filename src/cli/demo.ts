import { parseArgs } from "node:util";
import { runDemo } from "../demo/run-demo.js";

/** `npm run demo [-- --out file.html]`: exits 0 only if the line reached the stage it should. */
const { values } = parseArgs({ options: { out: { type: "string", default: "factory-demo.html" } } });
const result = await runDemo({ out: values.out, print: (line) => console.log(line) });
process.exit(result.ok ? 0 : 1);
