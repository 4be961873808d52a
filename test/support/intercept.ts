import type { DoubleRequest, DoubleResponse, GitHubDouble } from "@software-factory/github-double";

/**
 * GitHub answering otherwise for a while: the first `times` requests that `when` picks
 * get `answer`'s response instead of the double's (an `answer` that returns undefined
 * lets the request through, having done what it does). `seen` counts the picked ones
 * answered so far; `restore` puts the double back.
 */
export function intercept(
  double: GitHubDouble,
  when: (request: DoubleRequest) => boolean,
  answer: (request: DoubleRequest) => DoubleResponse | undefined,
  times = 1,
): { readonly seen: number; restore(): void } {
  const handle = double.handle.bind(double);
  let seen = 0;
  double.handle = (request: DoubleRequest) => {
    if (seen < times && when(request)) {
      seen++;
      const response = answer(request);
      if (response) return response;
    }
    return handle(request);
  };
  return {
    get seen() {
      return seen;
    },
    restore: () => {
      double.handle = handle;
    },
  };
}
