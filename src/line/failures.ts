/** An error that retrying cannot mend (an event that does not parse, a payload the handler cannot use, a request GitHub refused for good). */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentFailure";
  }
}
