/** A throwaway redis-server on loopback for the tests that need one (the sandbox's, shared with `npm run bench -- load`). */
export { hasRedisServer, startRedis, type RunningRedis } from "../../src/sandbox/redis-server.js";
