import type { Probot } from "probot";
import { handleComment } from "./events/handle-comment.js";
import { handleIntake } from "./events/handle-intake.js";
import type { Deps } from "./events/setup.js";
import { botLoginResolver } from "./github/app-identity.js";
import { PortCaches } from "./github/repo-port.js";
import { Background } from "./cells/background.js";
import { loadContracts, type CellContract } from "./cells/contracts.js";
import { stateKey } from "./state/sign.js";

/** Every webhook the app handles; `app.yml` must subscribe to each (a test checks). */
export const HANDLED_EVENTS = ["issues.labeled", "issues.edited", "issue_comment.created"] as const;

export interface FactoryAppOptions {
  /** Tests and the sandbox pass their own, to wait until the line is idle. */
  background?: Background;
  /** The key that signs records; from the environment when not given. */
  stateKey?: Buffer;
  /** Cell contracts; `cells/` when not given. */
  contracts?: ReadonlyMap<string, CellContract>;
}

export function factoryApp(options: FactoryAppOptions = {}) {
  return (app: Probot): void => {
    const deps: Deps = {
      botLogin: botLoginResolver(app),
      stateKey: options.stateKey ?? stateKey(),
      caches: new PortCaches(),
      // A broken contract stops startup here, naming the file, the JSON path and the problem.
      contracts: options.contracts ?? loadContracts(),
      background: options.background ?? new Background((key, error) => app.log.error({ err: error, key }, "background work failed")),
    };
    const intake = handleIntake(deps);
    app.on("issues.labeled", intake);
    app.on("issues.edited", intake);
    app.on("issue_comment.created", handleComment(deps));
  };
}

export default factoryApp();
