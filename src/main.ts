import { run } from "probot";
import { factoryOctokit } from "./github/octokit.js";
import { factoryApp } from "./index.js";

/** `npm start`: Probot's server (or its setup page, with no APP_ID) running the app with the factory's Octokit. */
await run(factoryApp(), { Octokit: factoryOctokit() });
