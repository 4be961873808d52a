/** An error that retrying cannot mend (an event that does not parse, a payload the handler cannot use, a request GitHub refused for good). */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentFailure";
  }
}

/** An error worth trying again, whatever its status says (GitHub lagging behind a write the caller itself just made). */
export class TransientFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientFailure";
  }
}
