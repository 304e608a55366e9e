/**
 * A configuration value that is wrong: which field (relative to the entry being read) and
 * why. The regions file reports it as `<file>: field "<path>.<field>": <message>` and stops the
 * start; the API as a 400. One wording for both.
 */
export class ConfigProblem extends Error {
  /**
   * `form`, how the API puts the field in front: `predicate` reads after it ("body.to is in the
   * past"), `colon` is said about it ("body.server: the region has no server 7"), `whole` is about
   * the entry ("a recurring window needs both cron and duration").
   */
  constructor (readonly field: string, message: string, readonly form: 'predicate' | 'colon' | 'whole' = 'colon') { super(message) }

  /** The sentence a 400 answers: the field as `<where>.<field>` (e.g. body.to). */
  sentence (where: string): string {
    if (this.form === 'whole') return this.message
    return this.form === 'predicate' ? `${where}.${this.field} ${this.message}` : `${where}.${this.field}: ${this.message}`
  }
}

/** A regions file that cannot be used: the message names the file and the field. */
export class RegionsFileError extends Error {}
