import { factoryOctokit } from "./github/octokit.js";
import { exitOnSignals, serve } from "./serve.js";

/** `npm start`: the app on Probot's server, with the factory's Octokit and an orderly shutdown on SIGTERM/SIGINT. */
const serving = await serve({ Octokit: factoryOctokit() });
exitOnSignals(serving, { info: (message) => console.warn(message) });
